// One public text for "Entra ID refused keyrelay's own credential", shared by the routes that meet it
// (token, connect). The fix comes from the credential port (it knows its kind); nobody else needs to.

const GENERIC =
  "Microsoft Entra ID refused keyrelay's own credential; the administrators have been alerted. Retry later.";

/** `fix` is public text from the credential port (never a secret); without it the generic advice stands. */
export function credentialRefusedMessage(fix: string | undefined): string {
  return fix === undefined
    ? GENERIC
    : `Microsoft Entra ID refused keyrelay's own credential: ${fix} The administrators have been alerted.`;
}
