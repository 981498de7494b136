import { basename } from "node:path";
import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { escapePath } from "../http/pods-client.js";
import { formatFields } from "../output/table.js";
import { render } from "../output/render.js";
import { formatBytes } from "../transfer/byte-sizes.js";
import { commandLine, localFile } from "../transfer/local-file.js";
import { uploadMultipart } from "../transfer/multipart-upload.js";
import { download } from "../transfer/resumable-download.js";
import { createTransferProgress } from "../transfer/transfer-progress.js";

export function registerVolume(program: Command): void {
  const volume = program.command("volume").description("move files into and out of Tapis volumes");
  const rerun = () => `run \`${commandLine(["pods", ...process.argv.slice(2)])}\` again`;

  volume
    .command("upload")
    .description("copy a local file into a volume")
    .argument("<volume_id>", "the volume")
    .argument("<file>", "the local file")
    .argument("[path]", "where in the volume (default: the file's name at the volume's root)")
    .option("-q, --quiet", "no progress report")
    .addHelpText("after", "\nProgress goes to standard error: a bar on a terminal, plain lines otherwise.")
    .action(async (volumeId: string, path: string, target: string | undefined, options: { quiet?: boolean }, command: Command) => {
      const context = await CommandContext.of(command);
      const file = await localFile(path);
      const remote = (target ?? file.name).replace(/^\/+/, "");
      const answer = await uploadMultipart({
        client: await context.client(),
        path: `/v3/pods/volumes/${escapePath(volumeId)}/upload/${escapePath(remote)}`,
        fields: {},
        fileField: "file",
        file,
        progress: createTransferProgress({ label: `upload ${file.name}`, totalBytes: file.size, stream: process.stderr, enabled: !options.quiet }),
        retryHint: `${rerun()} to send it anew`,
      });
      process.stdout.write(render(context.output, answer.result, () => String(answer.result ?? answer.message)));
    });

  volume
    .command("download")
    .description("copy a file (or, with --zip, a folder) out of a volume")
    .argument("<volume_id>", "the volume")
    .argument("<path>", "the file or folder in the volume")
    .argument("[destination]", "local file to write, '-' for standard output (default: the name of <path> here)")
    .option("--zip", "ask for a zip archive (needed for a folder)")
    .option("-q, --quiet", "no progress report")
    .addHelpText(
      "after",
      `
A download that breaks keeps what it received in <destination>.part; the same command
run again resumes it with a Range request when the service supports one, else starts over.
Progress goes to standard error: a bar on a terminal, plain lines otherwise.`,
    )
    .action(async (volumeId: string, path: string, destination: string | undefined, options: { zip?: boolean; quiet?: boolean }, command: Command) => {
      const context = await CommandContext.of(command);
      const remote = path.replace(/^\/+/, "");
      const target = destination ?? `${basename(remote) || volumeId}${options.zip ? ".zip" : ""}`;
      const label = `download ${basename(remote) || remote}`;
      const done = await download({
        client: await context.client(),
        name: `${volumeId}/${remote}`,
        path: `/v3/pods/volumes/${escapePath(volumeId)}/contents/${escapePath(remote)}`,
        query: options.zip ? { zip: true } : undefined,
        destination: target,
        progress: ({ totalBytes, startBytes }) => createTransferProgress({ label, totalBytes, startBytes, stream: process.stderr, enabled: !options.quiet }),
        note: (text) => process.stderr.write(`pods: ${text}\n`),
        retryHint: rerun(),
      });
      if (target === "-") return;
      const summary = { destination: target, bytes: done.bytes, resumed_from: done.resumedFrom };
      process.stdout.write(
        render(context.output, summary, () =>
          formatFields([
            ["saved", target],
            ["size", formatBytes(done.bytes)],
            ["resumed at", done.resumedFrom ? formatBytes(done.resumedFrom) : undefined],
          ]),
        ),
      );
    });
}
