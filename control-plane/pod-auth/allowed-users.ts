import { levelAtLeast } from "../authz/levels.js";
import { isUserPattern, permissionGroups } from "../edge/networking-rules.js";
import type { LevelName } from "../storage/entities/permission-entity.js";

/**
 * Whether `username` is among an entry's tapis_auth_allowed_users: "*" (any
 * user of the pod's tenant), a username (ignoring case), a permission group
 * (AUTHORIZED_READS, AUTHORIZED_USERS, AUTHORIZED_ADMINS: the user's level on
 * the pod, read only when a group is named), or a regular expression
 * matching the whole username (ignoring case).
 */
export async function isAllowedUser(username: string, allowed: readonly string[], levelOnPod: () => Promise<LevelName | null>): Promise<boolean> {
  const lowered = username.toLowerCase();
  let level: Promise<LevelName | null> | undefined;
  for (const entry of allowed.length > 0 ? allowed : ["*"]) {
    if (entry === "*") return true;
    const group = permissionGroups[entry as keyof typeof permissionGroups];
    if (group) {
      level ??= levelOnPod();
      if (levelAtLeast(await level, group)) return true;
    } else if (isUserPattern(entry)) {
      if (new RegExp(`^(?:${entry})$`, "i").test(username)) return true;
    } else if (entry.toLowerCase() === lowered) {
      return true;
    }
  }
  return false;
}

/** The entry's tapis_auth_response_headers with the user's names filled into their placeholders. */
export function templatedHeaders(headers: Record<string, string>, who: { username: string; tenantId: string; siteId: string }): Record<string, string> {
  const fill = (value: string) =>
    value
      .replaceAll("<<tapisusername>>", who.username)
      .replaceAll("<<tapistenantid>>", who.tenantId)
      .replaceAll("<<tapistenant>>", who.tenantId)
      .replaceAll("<<tapissiteid>>", who.siteId);
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, fill(value)]));
}
