import type { PodCredentialsRow } from "../storage/entities/pod-credentials-entity.js";

const credentialPlaceholder = /<<(?:tapissecret_|TAPIS_)(user_username|user_password|service_username|service_password)>>/gi;

/**
 * Replaces the built-in credential placeholders (<<tapissecret_user_password>>
 * and friends, or the legacy <<TAPIS_*>> spelling) in `value`. Returns null
 * when the value holds none, so callers can tell secret-bearing values apart.
 */
export function fillCredentialPlaceholders(value: string, credentials: PodCredentialsRow): string | null {
  let found = false;
  const filled = value.replace(credentialPlaceholder, (_match, name: string) => {
    found = true;
    switch (name.toLowerCase()) {
      case "user_username":
        return credentials.userUsername;
      case "user_password":
        return credentials.userPassword;
      case "service_username":
        return credentials.serviceUsername;
      default:
        return credentials.servicePassword;
    }
  });
  return found ? filled : null;
}
