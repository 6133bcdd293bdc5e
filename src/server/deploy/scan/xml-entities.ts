// The entities an XML document declares, expanded as XML parsers do (an HTML tokenizer does not), within a
// budget against "billion laughs".

/** Where an XML document declares its entities: its first 64 KiB (the DTD comes first). */
export const DTD_CHARS = 65536;

/** The internal entities an XML document declares (name → value). */
export function declaredEntities(text: string): Map<string, string> {
  const declared = new Map<string, string>();
  for (const m of text.slice(0, DTD_CHARS).matchAll(/<!ENTITY\s+([\w.:-]{1,64})\s+(["'])([\s\S]{0,8192}?)\2\s*>/g)) declared.set(m[1]!, m[3]!);
  return declared;
}

/** Nested entities expand again, within a budget (a "billion laughs" file stays unexpanded past it). */
export function expandEntities(text: string, declared: Map<string, string>, budget: { chars: number }): string {
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    const next = out.replace(/&([\w.:-]{1,64});/g, (w, name: string) => {
      const value = declared.get(name);
      if (value === undefined || value.length > budget.chars) return w;
      budget.chars -= value.length;
      return value;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Expands the internal entities an XML document declares (XML parsers do; an HTML tokenizer doesn't). */
export function expandXmlEntities(text: string): string {
  const declared = declaredEntities(text);
  return declared.size === 0 ? text : expandEntities(text, declared, { chars: 4 * text.length + 1e6 });
}
