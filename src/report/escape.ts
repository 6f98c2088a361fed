// Escaping for text placed in SVG/HTML (element content and quoted attribute values).
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes & < > " ' so any string is safe as XML/HTML text or a quoted attribute value. */
export function escapeXml(s: string): string {
  // Characters XML 1.0 forbids (C0 controls other than tab/newline/CR) are dropped, not escaped.
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}
