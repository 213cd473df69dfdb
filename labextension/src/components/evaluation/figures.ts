/**
 * An evaluation's figures as plotly draws them here. The server stores them without a template
 * (plotly's default template alone is ~6.5 KB a figure) and in no theme: the colours, fonts and
 * backgrounds come from JupyterLab's theme at drawing time, so that the dark theme works and a
 * theme switch redraws them. Pure: a stored figure and the theme in, plotly's data and layout out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type Plotly from 'plotly.js-dist-min';

import type { EvaluationFigure } from '../../api/evaluation';
import type { IThemeColors } from '../theme';

/** The figures `studio.evaluate` and autolog store, in the order the tab shows them. */
export const FIGURE_ORDER = [
  'confusion_matrix',
  'roc',
  'pr',
  'calibration',
  'residuals',
  'permutation_importance'
];

/** The figure's title where the stored figure has none. */
export function figureTitle(name: string, trans: TranslationBundle): string {
  switch (name) {
    case 'confusion_matrix':
      return trans.__('Confusion matrix');
    case 'roc':
      return trans.__('ROC curve');
    case 'pr':
      return trans.__('Precision-recall curve');
    case 'calibration':
      return trans.__('Calibration curve');
    case 'residuals':
      return trans.__('Residuals');
    case 'permutation_importance':
      return trans.__('Permutation importance');
    default:
      return name.replace(/_/g, ' ');
  }
}

/** The figures' names: the known ones in their order, then any others by name. */
export function orderedFigures(figures: Record<string, unknown>): string[] {
  const names = Object.keys(figures);
  const known = FIGURE_ORDER.filter(name => names.includes(name));
  const others = names.filter(name => !FIGURE_ORDER.includes(name)).sort();
  return [...known, ...others];
}

/** How faint a reference line is. */
const REFERENCE_OPACITY = 0.45;

/** Height of a figure that does not set one, in pixels. */
export const FIGURE_HEIGHT = 320;
/** The tallest a stored figure may ask to be drawn. */
export const MAX_FIGURE_HEIGHT = 1200;

type Layout = Partial<Plotly.Layout> & Record<string, unknown>;
type Trace = Record<string, unknown>;

const AXIS_KEY = /^[xy]axis\d*$/;

function titleText(title: unknown): string {
  if (typeof title === 'string') {
    return title;
  }
  if (typeof title === 'object' && title !== null && 'text' in title) {
    return String((title as { text: unknown }).text ?? '');
  }
  return '';
}

/**
 * A heatmap (a confusion matrix) goes from the background to the theme's accent: the scale it
 * was stored with knows no theme ("Blues" is white at zero, a glare on the dark theme). One
 * centred on a value (`zmid`: a diverging scale, say correlations) keeps its own.
 * A dashed line without a colour is a reference (chance, perfect calibration, zero residual):
 * drawn in the text colour, faint, rather than in the next colour of the classes' cycle. Error
 * bars without a colour are drawn in the text colour.
 */
function themedTrace(stored: Trace, theme: IThemeColors): Trace {
  let trace = stored;
  if (trace.type === 'heatmap' && trace.zmid === undefined) {
    return {
      ...trace,
      colorscale: [
        [0, theme.paper],
        [1, theme.accent]
      ],
      colorbar: { outlinecolor: theme.grid, ...(trace.colorbar as object) }
    };
  }
  for (const key of ['error_x', 'error_y']) {
    const bars = trace[key] as { color?: string } | undefined;
    if (bars && !bars.color) {
      // Plotly's default (#444) vanishes on the dark theme.
      trace = { ...trace, [key]: { ...bars, color: theme.font } };
    }
  }
  const line = trace.line as { dash?: string; color?: string } | undefined;
  if (line?.dash && line.dash !== 'solid' && !line.color) {
    return {
      ...trace,
      line: { ...line, color: theme.font },
      opacity: trace.opacity ?? REFERENCE_OPACITY
    };
  }
  return trace;
}

/**
 * Plotly's data and layout for a stored figure in the current theme: the theme's backgrounds,
 * font, grid and line colours and colour cycle (`palette`), a title (the figure's own, else
 * `title`), the panel's width, and `FIGURE_HEIGHT` unless the figure sets a height. The stored
 * figure is copied, never changed: plotly writes into what it draws (autoranges), and a theme
 * switch themes the stored figure again.
 */
export function themedFigure(
  figure: EvaluationFigure,
  theme: IThemeColors,
  palette: string[],
  title: string
): { data: Plotly.Data[]; layout: Partial<Plotly.Layout> } {
  const copy = JSON.parse(JSON.stringify(figure)) as {
    data?: Trace[];
    layout?: Layout;
  };
  const stored: Layout = copy.layout ?? {};
  // The theme is ours: the server stores none, and a stored one would override the colours.
  delete stored.template;
  delete stored.width;
  // A figure is read from a run's artifacts, which anyone logging to the run can write: no
  // image it points at is fetched, nothing it binds runs, and its height stays reasonable.
  delete stored.images;
  delete stored.updatemenus;
  delete stored.sliders;
  const axisStyle = {
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    tickcolor: theme.grid
  };
  const layout: Layout = {
    margin: { l: 60, r: 24, t: 40, b: 50 },
    ...stored,
    title: {
      ...(stored.title as object),
      text: titleText(stored.title) || title
    },
    autosize: true,
    height:
      typeof stored.height === 'number'
        ? Math.min(Math.max(stored.height, 100), MAX_FIGURE_HEIGHT)
        : FIGURE_HEIGHT,
    paper_bgcolor: theme.paper,
    plot_bgcolor: theme.plot,
    font: {
      ...(stored.font as object),
      color: theme.font,
      family: theme.fontFamily
    },
    colorway: palette,
    legend: { bgcolor: 'rgba(0,0,0,0)', ...(stored.legend as object) }
  };
  for (const key of ['xaxis', 'yaxis', ...Object.keys(stored)]) {
    if (AXIS_KEY.test(key)) {
      layout[key] = { ...axisStyle, ...(stored[key] as object) };
    }
  }
  const data = (copy.data ?? []).map(trace => themedTrace(trace, theme));
  return { data: data as Plotly.Data[], layout };
}
