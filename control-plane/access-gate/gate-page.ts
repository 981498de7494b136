import { escapeHtml } from "../server/http-answer.js";

/** Why a redemption did not open the gate, as the visitor is told. */
export type RefusalReason = "empty" | "not_found" | "revoked" | "expired" | "exhausted";

/**
 * Upstream's words for each refusal: whether to check the code (the
 * visitor's doing) or to ask the owner for another (nothing the visitor did).
 */
export const refusalMessages: Record<RefusalReason, { text: string; visitorsDoing: boolean }> = {
  empty: { text: "Enter the access code above to continue.", visitorsDoing: true },
  not_found: { text: "We don’t recognize that code. Check it for typos and try again.", visitorsDoing: true },
  revoked: { text: "This code has been turned off by the pod owner. Ask them for a new one — nothing’s wrong on your end.", visitorsDoing: false },
  expired: { text: "This code has expired. Ask the pod owner for a fresh one — nothing’s wrong on your end.", visitorsDoing: false },
  exhausted: { text: "This code has reached its sign-in limit. Ask the pod owner for a new one — nothing’s wrong on your end.", visitorsDoing: false },
};

/** The lockout's words, with the wait in minutes and seconds. */
export function lockedMessage(waitSeconds: number): string {
  const wait = waitSeconds >= 60 ? `${Math.floor(waitSeconds / 60)}m ${waitSeconds % 60}s` : `${waitSeconds}s`;
  return `Too many attempts from your network. Please wait about ${wait} and try again.`;
}

/**
 * The gate's login form: it posts the code to the redemption path on the
 * pod's own host. It says nothing about the pod but the id it was asked
 * for, so it reads the same whether or not the pod has a gate.
 */
export function gatePage(podIdNet: string, returnPath: string, problem?: { text: string; visitorsDoing: boolean }): string {
  const podId = podIdNet.split("-")[0]!;
  const note = problem ? `<p class="${problem.visitorsDoing ? "err" : "note"}" role="alert">${escapeHtml(problem.text)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(podId)} — access</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:system-ui,sans-serif;background:#0f1117;color:#e6e6e6;padding:1.5rem}
.card{width:100%;max-width:360px;background:#171a23;border:1px solid #262a36;border-radius:12px;padding:1.6rem 1.5rem}
h1{font-size:1.05rem;margin:0 0 .2rem}.sub{font-size:.8rem;color:#9aa0ad;margin:0 0 1.1rem}
label{display:block;font-size:.72rem;text-transform:uppercase;color:#9aa0ad;margin:0 0 .35rem}
input[type=password]{width:100%;box-sizing:border-box;padding:.65rem .7rem;border-radius:8px;border:1px solid #2d323f;background:#0f1117;color:#e6e6e6}
button{margin-top:1rem;width:100%;padding:.65rem;border:none;border-radius:8px;background:#8b7ec7;color:#fff;font-weight:650}
.err{color:#ff8080;font-size:.8rem}.note{color:#e0b872;font-size:.8rem}.quip{font-size:.72rem;color:#6b7280;margin:1.1rem 0 0}
</style></head>
<body>
<form class="card" method="post" action="/v3/pods/${escapeHtml(podIdNet)}/gate/redeem">
<h1>${escapeHtml(podId)}</h1>
<p class="sub">This site is private. Enter the access code to continue.</p>
<label for="secret">Access code</label>
<input id="secret" name="secret" type="password" autofocus autocomplete="off" required>
<input type="hidden" name="return_path" value="${escapeHtml(returnPath)}">
${note}
<button type="submit">Enter</button>
<p class="quip">Tip: a one-click access link signs you in without this screen — ask the owner to share one.</p>
</form>
</body>
</html>
`;
}
