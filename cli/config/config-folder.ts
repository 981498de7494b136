import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The folder holding the CLI's saved logins: `$XDG_CONFIG_HOME/tapis-pods`,
 * else `~/.config/tapis-pods`.
 */
export function configFolder(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), ".config");
  return join(base, "tapis-pods");
}
