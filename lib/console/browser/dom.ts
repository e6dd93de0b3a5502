/**
 * Building the page's nodes. The page runs under Trusted Types, so nothing here assigns HTML: every value goes into
 * the page as text (`textContent`, text nodes, attributes).
 */

export type Attrs = Record<string, string | number | boolean | null | undefined> | null;
export type Child = Node | string | number | null | undefined | false | Child[];

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The page's element of that id (the page is static: each one exists). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}
export const input = (id: string) => $<HTMLInputElement>(id);
export const select = (id: string) => $<HTMLSelectElement>(id);

/** An element with attributes (class, data-*, ...; never style or on*) and children (nodes or text). */
export function el(tag: string, attrs: Attrs, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children) append(node, child);
  return node;
}
export function svgEl(tag: string, attrs: Attrs, ...children: Child[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const child of children) append(node, child);
  return node;
}
function setAttrs(node: Element, attrs: Attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach((name) => {
    const value = attrs[name];
    if (value === undefined || value === null || value === false) return;
    node.setAttribute(name, String(value));
  });
}
function append(node: Element, child: Child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(node, c));
    return;
  }
  node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

/** The header's status line. */
export function setStatus(text: string, isError?: boolean) {
  const status = $('status');
  status.textContent = text;
  status.className = isError ? 'error' : '';
}
