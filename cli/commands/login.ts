import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { ServiceError, UsageError } from "../cli-error.js";
import { render } from "../output/render.js";
import { formatFields } from "../output/table.js";
import { promptHidden, promptLine, readSecretFromStdin } from "../terminal/prompts.js";

interface TokenResult {
  access_token?: { access_token?: string; expires_at?: string };
}

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("log in with a username and password and keep the token for the commands that follow")
    .argument("[username]", "who logs in (asked for on a terminal when left out)")
    .option("--password-stdin", "read the password from standard input (also done whenever standard input is not a terminal)")
    .addHelpText(
      "after",
      `
The token is saved in $XDG_CONFIG_HOME/tapis-pods/logins.json (else ~/.config/tapis-pods/),
readable by you only, for the service URL given (--base-url or PODS_URL), which becomes the
URL of later commands that name none.

Examples:
  pods login --base-url https://tacc.tapis.io alice
  echo "$PASSWORD" | pods login --base-url http://127.0.0.1:8080 alice --password-stdin`,
    )
    .action(async (username: string | undefined, options: { passwordStdin?: boolean }, command: Command) => {
      const context = await CommandContext.of(command);
      const interactive = process.stdin.isTTY === true;
      const user = username ?? (interactive ? await promptLine("Username: ") : undefined);
      if (!user) throw new UsageError("username: give it as an argument (there is no terminal to ask on)");
      const password = options.passwordStdin || !interactive ? await readSecretFromStdin("password") : await promptHidden("Password: ");
      const answer = await context
        .anonymousClient()
        .call<TokenResult>("POST", "/v3/oauth2/tokens", { body: { username: user, password, grant_type: "password" } });
      const token = answer.result?.access_token;
      if (!token?.access_token) throw new ServiceError(502, "the token service answered without an access token");
      await context.logins.save(context.baseUrl, { username: user, access_token: token.access_token, expires_at: token.expires_at });
      const saved = { base_url: context.baseUrl, username: user, expires_at: token.expires_at ?? null, saved_in: context.logins.path };
      process.stdout.write(
        render(context.output, saved, () =>
          [`Logged in to ${context.baseUrl} as ${user}.`, formatFields([["token saved in", saved.saved_in], ["valid until", token.expires_at]])].join("\n"),
        ),
      );
    });
}
