/**
 * Draw a plotly figure into a div while the div is in sight, redraw when the figure changes,
 * follow the div's size, and free plotly's resources on unmount.
 */
import Plotly from 'plotly.js-dist-min';
import { useEffect, useRef, useState } from 'react';

const CONFIG: Partial<Plotly.Config> = { displaylogo: false, responsive: true };

/**
 * Whether the element is in sight (or near it). Charts out of sight, below the fold or in a
 * hidden panel, wait: a parallel-coordinates chart costs seconds to draw without a GPU.
 */
function useInSight(ref: React.RefObject<HTMLElement>): boolean {
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

/** Returns the ref of the div to draw in; the div gets `data-drawn` once plotly has drawn. */
export function usePlot(
  data: Plotly.Data[],
  layout: Partial<Plotly.Layout>
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
    Plotly.react(node, data, layout, CONFIG)
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
    // A Lumino panel resizes without a window resize event, which is all plotly listens to.
    const observer = new ResizeObserver(() => {
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
