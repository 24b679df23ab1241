/** Small DOM helpers: the console uses no UI library. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** An element with attributes (`on<event>` values are listeners; `false`/`null` leave one out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children, skipping the empty ones. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;

/** A form control with its `<label for>` (the control gets an id when it has none). */
export function labelled(text: string, control: HTMLElement): HTMLElement {
  if (!control.id) {
    ids += 1;
    control.id = `field-${ids}`;
  }
  return h('span', { class: 'field' }, h('label', { for: control.id }, text), control);
}

/** A `<select>` of `options` (value, text), `value` selected. */
export function select(
  label: string,
  options: readonly (readonly [string, string])[],
  value: string,
  onchange: (value: string) => void,
): HTMLSelectElement {
  const element = h('select', { 'aria-label': label });
  for (const [v, text] of options) element.append(h('option', { value: v, selected: v === value }, text));
  element.addEventListener('change', () => onchange(element.value));
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG sparkline of `values` (nulls are gaps) scaled to [min, max]. */
export function sparkline(
  values: readonly (number | null)[],
  min: number,
  max: number,
  label: string,
): SVGElement {
  const width = 100;
  const height = 24;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const y = height - 1 - ((v - min) / span) * (height - 2);
    d += `${pen ? 'L' : 'M'}${(i * step).toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  });
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}
