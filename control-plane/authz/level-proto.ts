import { PermissionLevel } from "../../gen/tapis/pods/v1/common_pb.js";

/** "READ" | "USER" | "ADMIN", or "" for an unset level (which validation refuses). */
export function levelNameOf(level: PermissionLevel): string {
  return level === PermissionLevel.UNSPECIFIED ? "" : PermissionLevel[level];
}
