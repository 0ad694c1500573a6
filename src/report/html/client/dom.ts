// The few browser and Cytoscape.js APIs the report's script uses, typed here so that the script is checked by
// the compiler without loading the DOM library into the whole (Node) program. Types only: nothing here
// exists at run time.

export interface DomEvent {
  target: unknown;
  key?: string;
  preventDefault(): void;
}

export interface DomTokenList {
  add(...names: string[]): void;
  remove(...names: string[]): void;
  toggle(name: string, force?: boolean): boolean;
  contains(name: string): boolean;
}

export interface DomElement {
  id: string;
  textContent: string | null;
  hidden: boolean;
  className: string;
  readonly classList: DomTokenList;
  readonly dataset: Record<string, string | undefined>;
  readonly children: ArrayLike<DomElement>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  addEventListener(type: string, listener: (event: DomEvent) => void): void;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
  appendChild(child: DomElement | DomText): void;
  replaceChildren(...children: (DomElement | DomText)[]): void;
  scrollIntoView(options?: { behavior?: string; block?: string }): void;
  focus(): void;
}

export interface DomText {
  textContent: string | null;
}

/** <input>, <select>, <details>, <button>: the properties the script reads. */
export interface FormElement extends DomElement {
  value: string;
  checked: boolean;
  disabled: boolean;
  open: boolean;
  readonly options?: ArrayLike<DomElement & { value: string }>;
}

export interface DomDocument {
  readonly documentElement: DomElement;
  readonly body: DomElement;
  getElementById(id: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  createElement(tag: string): DomElement;
  createTextNode(text: string): DomText;
  execCommand(command: string): boolean;
}

export interface DomSelection {
  removeAllRanges(): void;
  selectAllChildren(node: DomElement): void;
}

export interface DomWindow {
  addEventListener(type: string, listener: () => void): void;
  getComputedStyle(element: DomElement): { getPropertyValue(name: string): string };
  getSelection(): DomSelection | null;
  setTimeout(handler: () => void, ms: number): number;
  requestAnimationFrame(handler: () => void): number;
  readonly performance: { now(): number; mark(name: string): void };
  readonly matchMedia: (query: string) => { matches: boolean; addEventListener(type: string, fn: () => void): void };
}

export interface DomNavigator {
  readonly clipboard?: { writeText(text: string): Promise<void> };
}

/** The Cytoscape.js API subset used (cytoscape 3.x, https://github.com/cytoscape/cytoscape.js). */
export interface CyElementDefinition {
  group: 'nodes' | 'edges';
  data: Record<string, string | number | undefined>;
  classes?: string;
}

export interface CyCollection {
  readonly length: number;
  addClass(names: string): CyCollection;
  removeClass(names: string): CyCollection;
  filter(selector: string): CyCollection;
  union(other: CyCollection): CyCollection;
  difference(other: CyCollection): CyCollection;
  remove(): CyCollection;
  forEach(fn: (element: CyElement) => void): void;
  layout(options: Record<string, unknown>): CyLayout;
  boundingBox(): { x1: number; y1: number; x2: number; y2: number; w: number; h: number };
}

export interface CyElement {
  id(): string;
  data(name: string): unknown;
  isNode(): boolean;
}

export interface CyLayout {
  run(): void;
  on(event: string, handler: () => void): void;
}

export interface CyEvent {
  target: CyElement;
}

export interface CyCore {
  add(elements: CyElementDefinition[]): CyCollection;
  elements(selector?: string): CyCollection;
  nodes(selector?: string): CyCollection;
  edges(selector?: string): CyCollection;
  getElementById(id: string): CyCollection & CyElement;
  layout(options: Record<string, unknown>): CyLayout;
  fit(elements?: CyCollection, padding?: number): void;
  on(event: string, selector: string, handler: (event: CyEvent) => void): void;
  batch(fn: () => void): void;
  resize(): void;
  style(sheet: CyStyle[]): void;
}

export interface CyStyle {
  selector: string;
  style: Record<string, string | number | number[]>;
}

export type CyFactory = (options: {
  container: DomElement;
  elements: CyElementDefinition[];
  style: CyStyle[];
  layout: Record<string, unknown>;
  minZoom?: number;
  maxZoom?: number;
  boxSelectionEnabled?: boolean;
  autoungrabify?: boolean;
}) => CyCore;
