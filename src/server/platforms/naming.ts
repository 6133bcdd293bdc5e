// Names of platform resources derived from user input: lowercase letters, digits and dashes only,
// DNS-label sized, so nothing a person types reaches a platform URL unsanitized.

/** `My Cool_Site!` → `my-cool-site`; empty when nothing usable remains. */
export function dnsLabel(input: string, maxLength = 63): string {
  return input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
}

/** A short, stable suffix from an id (a UUID's first 12 hex digits). */
export const shortId = (id: string) => id.replace(/-/g, '').slice(0, 12);

/** `prefix-suffix` within 63 characters, cutting the prefix rather than the suffix. */
export function labelWithSuffix(prefix: string, suffix: string): string {
  const room = 63 - suffix.length - 1;
  const head = dnsLabel(prefix, room);
  return head ? `${head}-${suffix}` : suffix;
}
