import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { sameSecret } from "../auth/secret-digest.js";

/** Usernames and passwords of the embedded dev identity provider. */
export interface DevUsers {
  /** Where they were read from. */
  file: string;
  /** True when the file was created on this start with random passwords. */
  created: boolean;
  usernames: string[];
  check(username: string, password: string): boolean;
}

const defaultUsernames = ["admin", "alice", "bob"];

/**
 * Reads `{"username": "password", ...}` from `file`; when the file does not
 * exist, writes one (mode 0600) with random passwords for admin, alice and bob.
 */
export async function loadOrCreateDevUsers(file: string): Promise<DevUsers> {
  let created = false;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const users = Object.fromEntries(defaultUsernames.map((u) => [u, randomBytes(12).toString("base64url")]));
    text = JSON.stringify(users, null, 2) + "\n";
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text, { mode: 0o600 });
    created = true;
  }
  const users = parseUsers(text, file);
  return {
    file,
    created,
    usernames: [...users.keys()],
    check(username, password) {
      const expected = users.get(username);
      return sameSecret(password, expected ?? randomBytes(16).toString("hex")) && expected !== undefined;
    },
  };
}

function parseUsers(text: string, file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file}: must be a JSON object of username to password`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: must be a JSON object of username to password`);
  }
  const users = new Map<string, string>();
  for (const [username, password] of Object.entries(parsed)) {
    if (typeof password !== "string" || password === "") throw new Error(`${file}: password of '${username}' must be a non-empty string`);
    users.set(username, password);
  }
  return users;
}
