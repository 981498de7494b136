import { isAddressOrRange } from "../../shared/net/ip-ranges.js";
import type { NetworkingSpec } from "../pods/pod-model.js";

/** A rule one networking entry breaks: the field under the entry, and the rule. */
export interface EntryProblem {
  field: string;
  rule: string;
}

export const networkingProtocols = ["http", "tcp", "postgres", "local_only"] as const;

/** The placeholders tapis_auth_response_headers values may hold, and what fills them. */
export const responseHeaderPlaceholders = ["<<tapisusername>>", "<<tapistenantid>>", "<<tapistenant>>", "<<tapissiteid>>"] as const;

/** Groups tapis_auth_allowed_users may name, resolved against the pod's permissions. */
export const permissionGroups = { AUTHORIZED_READS: "READ", AUTHORIZED_USERS: "USER", AUTHORIZED_ADMINS: "ADMIN" } as const;

const maxAllowListEntries = 64;
const maxResponseHeaders = 32;
const maxAllowedUsers = 100;
const maxOrigins = 50;
// Narrower than HTTP's tokens: names every proxy can carry in its configuration (nginx variables, Traefik lists).
const headerName = /^[A-Za-z0-9_-]{1,128}$/;
const methodName = /^[A-Za-z]{1,32}$/;
const origin = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
const returnPath = /^\/(?!\/)[A-Za-z0-9._\-/]{0,179}$/;
const uiPath = /^\/[\x21-\x7e]{0,511}$/;
// eslint-disable-next-line no-control-regex
const forbiddenInValue = /[\r\n\0]/;

/**
 * Headers a forward-auth answer may not set on the request passed to a pod:
 * framing, hop-by-hop and proxy headers, cookies, and the ones the proxy and
 * the service set themselves.
 */
const reservedResponseHeaders = new Set(
  [
    "connection", "content-length", "content-type", "content-encoding", "cookie", "host", "keep-alive", "location", "proxy-authenticate",
    "proxy-authorization", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "x-forwarded-for", "x-forwarded-host",
    "x-forwarded-method", "x-forwarded-port", "x-forwarded-proto", "x-forwarded-prefix", "x-forwarded-server", "x-forwarded-uri",
    "x-real-ip", "x-request-id", "x-tapis-token", "forwarded", "x-tapis-gate-code",
  ].map((name) => name.toLowerCase()),
);

/**
 * Every rule a networking entry breaks. Pod creation and updates refuse such
 * entries; the edge leaves out pods whose entries (from a template, or older
 * than a rule) break one.
 */
export function networkingEntryProblems(spec: NetworkingSpec): EntryProblem[] {
  const problems: EntryProblem[] = [];
  const add = (field: string, rule: string) => problems.push({ field, rule });
  const protocol = spec.protocol ?? "http";
  if (!(networkingProtocols as readonly string[]).includes(protocol)) add("protocol", `must be one of ${networkingProtocols.join(", ")}`);
  if (spec.port !== undefined && (!Number.isInteger(spec.port) || spec.port < 10 || spec.port > 65_535)) add("port", "must be a port between 10 and 65535");
  checkAllowList(spec.ip_allow_list ?? [], add);
  const http = protocol === "http";
  if (spec.tapis_auth && !http) add("tapis_auth", "applies only to http entries");
  checkResponseHeaders(spec.tapis_auth_response_headers ?? {}, add);
  checkAllowedUsers(spec.tapis_auth_allowed_users ?? [], add);
  if (spec.tapis_auth_return_path !== undefined && !returnPath.test(spec.tapis_auth_return_path)) {
    add("tapis_auth_return_path", "must be a path starting with one '/', of letters, digits, '.', '_', '-' and '/', at most 180 characters");
  }
  if (spec.access_gate && !http) add("access_gate", "applies only to http entries");
  else if (spec.access_gate && spec.tapis_auth) add("access_gate", "cannot be combined with tapis_auth; an entry lets visitors in one way");
  if (spec.access_gate_return_path !== undefined && !returnPath.test(spec.access_gate_return_path)) {
    add("access_gate_return_path", "must be a path starting with one '/', of letters, digits, '.', '_', '-' and '/', at most 180 characters");
  }
  checkCors(spec, http, add);
  if (spec.tapis_ui_uri !== undefined && spec.tapis_ui_uri !== "" && !uiPath.test(spec.tapis_ui_uri)) {
    add("tapis_ui_uri", "must be empty or a path starting with '/', without spaces, at most 512 characters");
  }
  const description = spec.tapis_ui_uri_description;
  // eslint-disable-next-line no-control-regex
  if (description !== undefined && (description.length > 255 || !/^[\x20-\x7e]*$/.test(description))) {
    add("tapis_ui_uri_description", "must be at most 255 printable ASCII characters");
  }
  return problems;
}

/** Whether `value` may be a return path (tapis_auth_return_path, access_gate_return_path): a path on the pod's own host. */
export function isReturnPath(value: string): boolean {
  return returnPath.test(value);
}

function checkAllowList(list: string[], add: (field: string, rule: string) => void): void {
  if (list.length > maxAllowListEntries) add("ip_allow_list", `at most ${maxAllowListEntries} entries`);
  list.forEach((entry, index) => {
    if (!isAddressOrRange(entry)) add(`ip_allow_list[${index}]`, `'${entry.slice(0, 64)}' is not an IP address or CIDR range`);
  });
}

function checkResponseHeaders(headers: Record<string, string>, add: (field: string, rule: string) => void): void {
  const names = Object.keys(headers);
  if (names.length > maxResponseHeaders) add("tapis_auth_response_headers", `at most ${maxResponseHeaders} headers`);
  const seen = new Set<string>();
  for (const name of names) {
    const field = `tapis_auth_response_headers.${name}`;
    if (!headerName.test(name)) add(field, "header names must be 1-128 letters, digits, '-' and '_'");
    else if (reservedResponseHeaders.has(name.toLowerCase())) add(field, "is set by the proxy or the service and cannot be passed to the pod");
    else if (seen.has(name.toLowerCase())) add(field, "is named twice (header names ignore case)");
    seen.add(name.toLowerCase());
    const value = headers[name]!;
    if (forbiddenInValue.test(value) || value.length > 1024) add(field, "must not contain CR, LF or NUL and must be at most 1024 characters");
  }
}

/**
 * Whether an allowed-users entry is a regular expression (matched against
 * whole usernames, ignoring case) rather than a username: it holds a regular
 * expression's operators. '.', '-', '_' and '@' occur in usernames and keep
 * an entry literal.
 */
export function isUserPattern(entry: string): boolean {
  return entry !== "*" && /[*+?^$()[\]{}|\\]/.test(entry);
}

/** Entries are "*", usernames, permission groups, or regular expressions matching whole usernames. */
function checkAllowedUsers(users: string[], add: (field: string, rule: string) => void): void {
  if (users.length > maxAllowedUsers) add("tapis_auth_allowed_users", `at most ${maxAllowedUsers} entries`);
  users.forEach((user, index) => {
    const field = `tapis_auth_allowed_users[${index}]`;
    if (user.length === 0 || user.length > 128 || /[\s\0]/.test(user)) {
      add(field, "must be 1-128 characters without spaces");
      return;
    }
    if (!isUserPattern(user)) return;
    try {
      new RegExp(`^(?:${user})$`, "i");
    } catch {
      add(field, `'${user.slice(0, 64)}' is neither a username nor a valid regular expression`);
    }
  });
}

function checkCors(spec: NetworkingSpec, http: boolean, add: (field: string, rule: string) => void): void {
  const origins = spec.cors_allow_origins ?? [];
  const corsFields = (["cors_allow_origins", "cors_allow_methods", "cors_allow_headers"] as const).filter((name) => (spec[name] ?? []).length > 0);
  if (!http && corsFields.length > 0) add(corsFields[0]!, "applies only to http entries");
  if (origins.length > maxOrigins) add("cors_allow_origins", `at most ${maxOrigins} entries`);
  origins.forEach((value, index) => {
    if (value !== "*" && (value.length > 256 || !origin.test(value))) {
      add(`cors_allow_origins[${index}]`, "must be '*' or an origin such as https://app.example.org (scheme, host and port only)");
    }
  });
  (spec.cors_allow_methods ?? []).forEach((value, index) => {
    if (!methodName.test(value)) add(`cors_allow_methods[${index}]`, "must be an HTTP method such as GET");
  });
  (spec.cors_allow_headers ?? []).forEach((value, index) => {
    if (value !== "*" && !headerName.test(value)) add(`cors_allow_headers[${index}]`, "must be '*' or a header name (letters, digits, '-' and '_')");
  });
  if (spec.cors_max_age !== undefined && (!Number.isInteger(spec.cors_max_age) || spec.cors_max_age < 0)) add("cors_max_age", "must not be negative");
}
