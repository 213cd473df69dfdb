/**
 * Draw a plotly figure into a div while the div is in sight, redraw when the figure changes,
 * follow the div's size, and free plotly's resources on unmount. The compare panel's parallel
 * coordinates and scatter draw through it (the metric line charts are uPlot's: useUPlot).
 */
import Plotly from 'plotly.js-dist-min';
import { useEffect, useRef, useState } from 'react';

/**
 * The mode bar keeps plotly's PNG download; box and lasso selection select nothing here.
 * `responsive` is off: the ResizeObserver below follows the div, which a Lumino panel resizes
 * without the window resize event plotly listens to.
 */
export function plotConfig(filename = 'studio-chart'): Partial<Plotly.Config> {
  return {
    displaylogo: false,
    responsive: false,
    modeBarButtonsToRemove: ['select2d', 'lasso2d'],
    toImageButtonOptions: { format: 'png', filename }
  };
}

/**
 * Whether the element is in sight (or near it). Charts out of sight, below the fold or in a
 * hidden panel, wait: plotly spends tens of milliseconds on each chart (a parallel-coordinates
 * chart costs seconds without a GPU), and a live tick or a smoothing step would pay it for
 * every chart of the panel. A chart that comes back into sight draws its latest figure.
 */
export function useInSight(ref: React.RefObject<HTMLElement>): boolean {
  const [inSight, setInSight] = useState(
    typeof IntersectionObserver === 'undefined'
  );
  useEffect(() => {
    const node = ref.current;
    if (!node || typeof IntersectionObserver === 'undefined') {
      return;
    }
    const observer = new IntersectionObserver(
      entries => setInSight(entries[entries.length - 1].isIntersecting),
      { rootMargin: '200px' }
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return inSight;
}

/**
 * Returns the ref of the div to draw in; the div gets `data-drawn` once plotly has drawn the
 * latest figure. Plotly.react runs only when `data` or `layout` is a new object: callers
 * memoise them, so that a render that changed neither costs plotly nothing.
 */
export function usePlot(
  data: Plotly.Data[],
  layout: Partial<Plotly.Layout>,
  config: Partial<Plotly.Config> = DEFAULT_CONFIG
): React.RefObject<HTMLDivElement> {
  const ref = useRef<HTMLDivElement>(null);
  const drawn = useRef<{
    data: Plotly.Data[];
    layout: Partial<Plotly.Layout>;
  } | null>(null);
  const inSight = useInSight(ref);

  useEffect(() => {
    const node = ref.current;
    const figure = { data, layout };
    if (
      !node ||
      !inSight ||
      (drawn.current?.data === data && drawn.current.layout === layout)
    ) {
      return;
    }
    drawn.current = figure;
    node.removeAttribute('data-drawn');
    Plotly.react(node, data, layout, config)
      .then(() => {
        if (drawn.current === figure) {
          node.setAttribute('data-drawn', 'true');
        }
      })
      .catch((error: unknown) =>
        console.warn('Studio: chart not drawn', error)
      );
  }, [data, layout, inSight]);

  useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => {
      // Hidden panels have no size; plotly refuses to resize them.
      if (drawn.current && node.offsetWidth > 0 && node.offsetHeight > 0) {
        void Promise.resolve(Plotly.Plots.resize(node)).catch(() => undefined);
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      drawn.current = null;
      Plotly.purge(node);
    };
  }, []);

  return ref;
}

const DEFAULT_CONFIG = plotConfig();
