// A tiny XML well-formedness check for tests (no dependency): balanced, properly nested tags,
// quoted attributes without raw '<' or '&', and no bare '&' or '<' in text.
export function checkXml(xml: string): void {
  const stack: string[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|#\d+);[^"<&]*)*")*)\s*(\/?)>/y;
  const entity = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  let i = 0;
  let rootClosed = false;
  while (i < xml.length) {
    if (rootClosed && /\S/.test(xml[i]!)) throw new Error(`content after the root element at ${i}`);
    const c = xml[i]!;
    if (c === '<') {
      if (xml.startsWith('<!--', i)) { i = xml.indexOf('-->', i) + 3; continue; }
      tagRe.lastIndex = i;
      const m = tagRe.exec(xml);
      if (!m) throw new Error(`malformed tag at ${i}: ${xml.slice(i, i + 60)}`);
      const [all, close, name, , selfClose] = m;
      if (close) {
        const open = stack.pop();
        if (open !== name) throw new Error(`</${name}> at ${i} closes <${open}>`);
      } else if (!selfClose) stack.push(name!);
      if (stack.length === 0) rootClosed = true;
      i += all.length;
    } else if (c === '&') {
      if (!entity.test(xml.slice(i, i + 12))) throw new Error(`bare '&' at ${i}: ${xml.slice(i, i + 20)}`);
      i++;
    } else {
      if (c === '>' && stack.length === 0) throw new Error(`stray '>' at ${i}`);
      i++;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}
