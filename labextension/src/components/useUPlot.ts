/**
 * Draw a uPlot chart into a div while the div is in sight: a new instance when the options
 * change (series, axes, theme), `setData` on the same one when only the data does (a live
 * tick, a smoothing step), `setSize` when the div resizes, and `destroy` on unmount. A chart
 * out of sight keeps its instance and draws nothing until it is seen again.
 */
import uPlot from 'uplot';
import { useEffect, useRef } from 'react';

import { useInSight } from './usePlot';

/**
 * Whether the user zoomed in (dragged over a range; a double click zooms out): new data, a live
 * tick or a smoothing step, keeps the range they chose instead of fitting every point.
 */
export function zoomedIn(u: uPlot): boolean {
  const x = u.data[0];
  const { min, max } = u.scales.x;
  return (
    x.length > 0 &&
    min !== undefined &&
    max !== undefined &&
    (min > x[0] || max < x[x.length - 1])
  );
}

/**
 * Returns the ref of the div to draw in. The instance is kept on the div as the non-enumerable
 * `__uplot`, where the browser tests and the benchmark read what uPlot drew.
 */
export function useUPlot(
  makeOptions: (width: number) => uPlot.Options,
  data: uPlot.AlignedData
): React.RefObject<HTMLDivElement> {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const built = useRef<((width: number) => uPlot.Options) | null>(null);
  const drawn = useRef<uPlot.AlignedData | null>(null);
  const inSight = useInSight(ref);

  useEffect(() => {
    const node = ref.current;
    // Charts out of sight keep what they drew, and catch up when seen.
    if (!node || !inSight) {
      return;
    }
    const current = plot.current;
    if (current && built.current === makeOptions) {
      if (drawn.current !== data) {
        drawn.current = data;
        if (zoomedIn(current)) {
          // uPlot draws nothing on setData without a scale reset: set the range kept again.
          const { min, max } = current.scales.x;
          current.setData(data, false);
          current.setScale('x', { min: min!, max: max! });
        } else {
          current.setData(data);
        }
      }
      return;
    }
    current?.destroy();
    const u = new uPlot(makeOptions(node.clientWidth), data, node);
    plot.current = u;
    built.current = makeOptions;
    drawn.current = data;
    Object.defineProperty(node, '__uplot', { value: u, configurable: true });
  }, [makeOptions, data, inSight]);

  useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => {
      const u = plot.current;
      // Hidden panels have no size: keep the last one.
      if (u && node.clientWidth > 0 && node.clientWidth !== u.width) {
        u.setSize({ width: node.clientWidth, height: u.height });
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  return ref;
}
