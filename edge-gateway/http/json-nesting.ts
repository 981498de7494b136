/**
 * Where JSON text first nests deeper than `maxDepth` objects and lists, as a
 * field path ("template_overrides.env.a", "commands[0][0]", "body" for the
 * top level), or null when it never does. One pass over the text, before
 * parsing: a parser or a decoder that recurses never sees a body nested so
 * deep that it would exhaust its stack or its recursion limit.
 */
export function tooDeepAt(text: string, maxDepth: number): string | null {
  const frames: { list: boolean; key: string; index: number }[] = [];
  let inString = false;
  let stringStart = 0;
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) {
        inString = false;
        if (expectingKey) {
          frames[frames.length - 1]!.key = text.slice(stringStart, i);
          expectingKey = false;
        }
      }
      continue;
    }
    switch (c) {
      case 0x22: // "
        inString = true;
        stringStart = i + 1;
        break;
      case 0x7b: // {
      case 0x5b: // [
        frames.push({ list: c === 0x5b, key: "", index: 0 });
        if (frames.length > maxDepth) return pathOf(frames);
        expectingKey = c === 0x7b;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        frames.pop();
        expectingKey = false;
        break;
      case 0x2c: {
        // ,
        const frame = frames[frames.length - 1];
        if (frame?.list) frame.index++;
        else expectingKey = frame !== undefined;
        break;
      }
    }
  }
  return null;
}

/** The path to the innermost frame, naming each enclosing field; long paths are cut. */
function pathOf(frames: { list: boolean; key: string; index: number }[]): string {
  let path = "";
  for (const frame of frames.slice(0, -1)) {
    if (frame.list) path += `[${frame.index}]`;
    else path += path ? `.${frame.key}` : frame.key;
  }
  if (!path) return "body";
  if (path.startsWith("[")) path = `body${path}`;
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}
