// jsdom lacks what some JupyterLab packages touch at import time.
if (typeof window !== 'undefined') {
  window.matchMedia =
    window.matchMedia ||
    (() => ({
      matches: false,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {}
    }));
  if (!window.DragEvent) {
    // @jupyterlab/ui-components subclasses DragEvent at import time.
    window.DragEvent = class DragEvent extends window.MouseEvent {};
  }
  if (!window.ResizeObserver) {
    window.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }
}
