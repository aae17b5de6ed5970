/**
 * What jsdom lacks for the chart (uPlot): matchMedia (read when uPlot loads), Path2D and a 2D
 * canvas context. The context records what is drawn, so tests can see that bars were filled:
 * drawnFills(canvas) counts fill() calls with a path.
 */

const fills = new WeakMap<HTMLCanvasElement, number>();

/** How many paths have been filled on this canvas (bars, areas). */
export function drawnFills(canvas: HTMLCanvasElement): number {
  return fills.get(canvas) ?? 0;
}

function noopObject<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      if (key in obj) return Reflect.get(obj, key, receiver) as unknown;
      return () => undefined;
    },
  });
}

class FakePath2D {
  constructor() {
    return noopObject(this);
  }
}

function fakeContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = {
    canvas,
    fill(path?: unknown) {
      if (path) fills.set(canvas, drawnFills(canvas) + 1);
    },
    measureText: (text: string) => ({ width: text.length * 6, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 }),
  };
  return noopObject(ctx) as unknown as CanvasRenderingContext2D;
}

export function installCanvasStubs(): void {
  if (typeof window === 'undefined') return;
  if (!window.matchMedia) {
    window.matchMedia = (query: string) =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addListener: () => undefined,
        removeListener: () => undefined,
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
        dispatchEvent: () => false,
      }) as MediaQueryList;
  }
  if (!('Path2D' in window)) {
    (globalThis as unknown as { Path2D: unknown }).Path2D = FakePath2D;
  }
  const contexts = new WeakMap<HTMLCanvasElement, CanvasRenderingContext2D>();
  HTMLCanvasElement.prototype.getContext = function getContext(this: HTMLCanvasElement, kind: string) {
    if (kind !== '2d') return null;
    let ctx = contexts.get(this);
    if (!ctx) {
      ctx = fakeContext(this);
      contexts.set(this, ctx);
    }
    return ctx;
  } as HTMLCanvasElement['getContext'];
}
