import { createInterface } from "node:readline/promises";
import { CliError, UsageError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";

/** Asks a question on the terminal and returns the line typed. */
export async function promptLine(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await terminal.question(question)).trim();
  } finally {
    terminal.close();
  }
}

/** Asks for a secret on the terminal without echoing what is typed. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (outcome: () => void) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      outcome();
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n" || character === "\u0004") return finish(() => resolve(typed));
        if (character === "\u0003") return finish(() => reject(new CliError("interrupted", ExitCode.usage)));
        if (character === "\u007f" || character === "\b") typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    input.on("data", onData);
  });
}

/** All of standard input, as text. */
export async function readStdin(): Promise<string> {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

/** All of standard input, without the final line break: a secret piped in. */
export async function readSecretFromStdin(what: string): Promise<string> {
  const secret = (await readStdin()).replace(/\r?\n$/, "");
  if (!secret) throw new UsageError(`${what}: nothing was read from standard input`);
  return secret;
}
