// Hiding credentials in text that reaches a log line, an error or a screen. No zod and no
// pino here: the logger and the config messages both use it, and neither should load the other.

/**
 * The password of a URL's user info replaced: `mqtt://user:pw@host` → `mqtt://user:***@host`.
 * A malformed URL (the one a validation message shows) has no reliable user part, so all of it
 * up to the last `@` goes: `mqtt//user:pw@host` → `***@host`.
 */
export function redactUrlCredentials(url: string): string {
  // Not `new URL()`: its serialisation normalises (drops default ports, adds a trailing slash to
  // ws://), and the operator should see the URL they wrote, minus the secret.
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#\s]*)/.exec(url);
  if (m) {
    const [whole, scheme, authority] = m as unknown as [string, string, string];
    // The last '@' ends the user info, as URL parsers read it: `user:p@ss@host` has password `p@ss`.
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at < 0 || colon < 0 || colon > at) return url;
    return `${scheme}${authority.slice(0, colon)}:***${authority.slice(at)}${url.slice(whole.length)}`;
  }
  const at = url.lastIndexOf('@');
  return at > 0 && url.lastIndexOf(':', at) >= 0 ? `***${url.slice(at)}` : url;
}
