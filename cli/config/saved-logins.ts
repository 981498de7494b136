import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { preparePrivateFolder } from "../../shared/files/private-files.js";
import { UsageError } from "../cli-error.js";

/** One login to one service. */
export interface SavedLogin {
  username: string;
  access_token: string;
  /** ISO time the token stops being accepted, when the service said. */
  expires_at?: string;
}

/** The saved logins file: a login per service URL, and the URL used when none is given. */
interface LoginsFile {
  current?: string;
  logins: Record<string, SavedLogin>;
}

const fileName = "logins.json";

/**
 * The logins kept in the user's config folder (0700), in a file only the user
 * may read (0600), written whole through a private temporary file so a reader
 * never sees half of it.
 */
export class SavedLogins {
  constructor(private readonly folder: string) {}

  get path(): string {
    return join(this.folder, fileName);
  }

  /** The service URL of the last login, if any. */
  async currentUrl(): Promise<string | undefined> {
    return (await this.read()).current;
  }

  async loginFor(baseUrl: string): Promise<SavedLogin | undefined> {
    return (await this.read()).logins[baseUrl];
  }

  /** Saves `login` for `baseUrl` and makes that URL the current one. */
  async save(baseUrl: string, login: SavedLogin): Promise<void> {
    const file = await this.read();
    file.logins[baseUrl] = login;
    file.current = baseUrl;
    await preparePrivateFolder(this.folder);
    const temporary = join(this.folder, `.${fileName}.${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  private async read(): Promise<LoginsFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { logins: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<LoginsFile>;
      if (typeof parsed !== "object" || parsed === null || typeof parsed.logins !== "object" || parsed.logins === null) throw new Error("no logins object");
      return { current: typeof parsed.current === "string" ? parsed.current : undefined, logins: parsed.logins };
    } catch (error) {
      throw new UsageError(`${this.path} is not a logins file (${error instanceof Error ? error.message : String(error)}); remove it and log in again`);
    }
  }
}
