import type { Command } from "commander";
import { CliError, UsageError } from "./cli-error.js";
import { configFolder } from "./config/config-folder.js";
import { SavedLogins } from "./config/saved-logins.js";
import { ExitCode } from "./exit-codes.js";
import { PodsClient } from "./http/pods-client.js";
import type { OutputFormat } from "./output/render.js";

/** The service `npm start` runs, used when nothing names another. */
export const defaultBaseUrl = "http://127.0.0.1:8080";

/** The options every command takes (declared on the program). */
export interface GlobalOptions {
  baseUrl?: string;
  token?: string;
  output: OutputFormat;
}

/**
 * What a command needs besides its own arguments: the service URL (--base-url,
 * else PODS_URL, else the last login's, else the local default), the token
 * (--token, else PODS_TOKEN, else the saved login for that URL) and the output
 * format. Commander reads PODS_URL and PODS_TOKEN into the options.
 */
export class CommandContext {
  private constructor(
    readonly baseUrl: string,
    readonly output: OutputFormat,
    readonly logins: SavedLogins,
    private readonly explicitToken: string | undefined,
  ) {}

  static async of(command: Command, env: NodeJS.ProcessEnv = process.env): Promise<CommandContext> {
    const options = command.optsWithGlobals<GlobalOptions>();
    const logins = new SavedLogins(configFolder(env));
    const url = options.baseUrl || (await logins.currentUrl()) || defaultBaseUrl;
    return new CommandContext(normaliseBaseUrl(url), options.output, logins, options.token || undefined);
  }

  /** A client holding the caller's token; fails with exit code 3 when there is none. */
  async client(): Promise<PodsClient> {
    const loginHint = `log in with \`pods login --base-url ${this.baseUrl}\`, or give a token with --token or PODS_TOKEN`;
    if (this.explicitToken) return new PodsClient(this.baseUrl, this.explicitToken, `the token given was refused; ${loginHint}`);
    const saved = await this.logins.loginFor(this.baseUrl);
    if (!saved) throw new CliError(`not logged in to ${this.baseUrl}: ${loginHint}`, ExitCode.auth);
    if (saved.expires_at && Date.parse(saved.expires_at) <= Date.now()) {
      throw new CliError(`the saved login of ${saved.username} to ${this.baseUrl} expired at ${saved.expires_at}: ${loginHint}`, ExitCode.auth);
    }
    return new PodsClient(this.baseUrl, saved.access_token, `the saved login of ${saved.username} was refused; ${loginHint}`);
  }

  /** A client without a token, for logging in. */
  anonymousClient(): PodsClient {
    return new PodsClient(this.baseUrl, undefined, "");
  }
}

/** `url` without trailing slashes, or a usage error naming what is wrong. */
export function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`base URL: '${url}' is not a URL (give it as http(s)://host[:port])`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`base URL: '${url}' must start with http:// or https://`);
  if (parsed.search || parsed.hash) throw new UsageError(`base URL: '${url}' must not carry a query or fragment`);
  return parsed.toString().replace(/\/+$/, "");
}
