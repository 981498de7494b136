import cliProgress from "cli-progress";
import { formatBytes } from "./byte-sizes.js";

/** What a transfer tells whoever watches it. */
export interface TransferProgress {
  /** `bytes` more were moved. */
  advance(bytes: number): void;
  /** Every byte was sent; the service is still to answer. */
  sent(): void;
  /** The transfer ended well. */
  finish(): void;
  /** The transfer failed; the error message follows on its own. */
  abandon(): void;
}

export interface ProgressOptions {
  /** Shown before every report: "upload data.csv". */
  label: string;
  /** Bytes expected, when known. */
  totalBytes?: number;
  /** Bytes already there before this transfer (a resumed download). */
  startBytes?: number;
  /** Where reports go: standard error, so standard output holds only results. */
  stream: NodeJS.WriteStream;
  /** False with --quiet. */
  enabled: boolean;
}

/**
 * A progress bar (cli-progress) when `stream` is a terminal, otherwise plain
 * lines a log keeps readable: one at the start, one per tenth of a known
 * size (at most one a second when the size is unknown), one at the end.
 */
export function createTransferProgress(options: ProgressOptions): TransferProgress {
  if (!options.enabled) return { advance() {}, sent() {}, finish() {}, abandon() {} };
  return options.stream.isTTY ? barProgress(options) : lineProgress(options);
}

function barProgress({ label, totalBytes, startBytes = 0, stream }: ProgressOptions): TransferProgress {
  const known = totalBytes !== undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: known ? `${label} [{bar}] {percentage}% | {moved} of {size} | {rate}` : `${label} {moved} | {rate}`,
      hideCursor: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let moved = startBytes;
  const payload = () => ({ moved: formatBytes(moved), size: formatBytes(totalBytes ?? 0), rate: `${formatBytes(Math.round(((moved - startBytes) * 1000) / Math.max(1, Date.now() - started)))}/s` });
  bar.start(totalBytes ?? 1, known ? moved : 0, payload());
  return {
    advance(bytes) {
      moved += bytes;
      bar.update(known ? moved : 0, payload());
    },
    sent() {
      bar.stop();
      stream.write(`${label}: all sent; waiting for the service\n`);
    },
    finish() {
      bar.stop();
    },
    abandon() {
      bar.stop();
    },
  };
}

function lineProgress({ label, totalBytes, startBytes = 0, stream }: ProgressOptions): TransferProgress {
  const started = Date.now();
  let moved = startBytes;
  let lastTenth = -1;
  let lastLineAt = 0;
  const amount = () =>
    totalBytes === undefined ? formatBytes(moved) : `${formatBytes(moved)} of ${formatBytes(totalBytes)} (${totalBytes === 0 ? 100 : Math.floor((moved * 100) / totalBytes)}%)`;
  const report = (suffix = "") => {
    lastLineAt = Date.now();
    stream.write(`${label}: ${amount()}${suffix}\n`);
  };
  const tenth = () => (totalBytes ? Math.floor((moved * 10) / totalBytes) : 0);
  report(startBytes ? ", resuming" : "");
  lastTenth = tenth();
  let open = true;
  return {
    advance(bytes) {
      moved += bytes;
      if (totalBytes === undefined) {
        if (Date.now() - lastLineAt >= 1000) report();
      } else if (tenth() > lastTenth && moved < totalBytes) {
        lastTenth = tenth();
        report();
      }
    },
    sent() {
      stream.write(`${label}: all ${formatBytes(moved)} sent; waiting for the service\n`);
    },
    finish() {
      if (!open) return;
      open = false;
      report(`, done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    abandon() {
      open = false;
    },
  };
}
