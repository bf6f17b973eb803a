/** Text for HTML content and attribute values: nothing the data holds can become markup. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Markup already rendered: `html` inserts it as is. */
export class Html {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}

/** Marks trusted markup (the page's own constants, never data) as already rendered. */
export function raw(text: string): Html {
  return new Html(text);
}

/** Tagged template whose interpolations are escaped, but those already rendered (`Html`); arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const rendered = Array.isArray(value) ? value.map((v) => (v instanceof Html ? v.text : escapeHtml(v))).join('') : value instanceof Html ? value.text : value === undefined || value === null || value === false ? '' : escapeHtml(value);
    out += rendered + strings[i + 1]!;
  });
  return new Html(out);
}
