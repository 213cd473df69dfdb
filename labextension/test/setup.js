// jsdom lacks what some JupyterLab packages touch at import time.
if (typeof window !== 'undefined') {
  window.matchMedia =
    window.matchMedia ||
    (() => ({ matches: false, addListener: () => {}, removeListener: () => {} }));
  if (!window.ResizeObserver) {
    window.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }
}
