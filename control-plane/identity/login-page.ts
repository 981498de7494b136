import { escapeHtml } from "../server/http-answer.js";

/** The authorization request the login form carries through its submission. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseType: string;
  state: string;
}

/** The dev identity provider's login form: it posts back to /v3/oauth2/authorize with the request's fields. */
export function loginPage(tenantId: string, request: AuthorizationRequest, problem = ""): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in to ${escapeHtml(tenantId)}</title>
<style>body{font-family:sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}.problem{color:#b00}</style></head>
<body>
<h1>Log in</h1>
<p>Tenant <b>${escapeHtml(tenantId)}</b> (development identity provider)</p>
${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ""}
<form method="post" action="/v3/oauth2/authorize">
${hidden("client_id", request.clientId)}
${hidden("redirect_uri", request.redirectUri)}
${hidden("response_type", request.responseType)}
${hidden("state", request.state)}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
