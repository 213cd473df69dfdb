/**
 * Colours of every Studio chart (run panel and compare panel), read from CSS variables so that
 * they follow the theme; one place that reads them and one hook that says when they changed.
 *
 * Run colours are `--jp-Studio-run-color-<i>` (style/compare.css), built from JupyterLab's
 * material palette (`--md-*`) with darker shades on light themes and lighter ones on dark themes.
 */
import { useEffect, useState } from 'react';

/** How many distinct run colours there are (the most runs a comparison takes). */
export const RUN_COLOR_COUNT = 20;

/** Used only where the CSS is not loaded (unit tests). */
const FALLBACK_RUN_COLORS = [
  '#1e88e5',
  '#f57c00',
  '#388e3c',
  '#e53935',
  '#9c27b0',
  '#00897b',
  '#e91e63',
  '#795548',
  '#5c6bc0',
  '#9e9d24',
  '#0277bd',
  '#ff7043',
  '#558b2f',
  '#ff8f00',
  '#7e57c2',
  '#00838f',
  '#607d8b',
  '#f57f17',
  '#616161',
  '#b71c1c'
];

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** The colour of the run at `index` in the comparison. */
export function runColor(index: number): string {
  const i = index % RUN_COLOR_COUNT;
  return cssVariable(`--jp-Studio-run-color-${i}`, FALLBACK_RUN_COLORS[i]);
}

/** The colours plotly layouts take from the current theme. */
export interface IThemeColors {
  font: string;
  fontFamily: string;
  paper: string;
  plot: string;
  grid: string;
  /** Two ends of a sequential colour scale (low, high) for "coloured by" charts. */
  scaleLow: string;
  scaleHigh: string;
  /** A mark on a chart (a debugger finding's step). */
  marker: string;
  /** The theme's brand colour: the high end of a single-hue scale (a confusion matrix). */
  accent: string;
}

export function themeColors(): IThemeColors {
  return {
    font: cssVariable('--jp-ui-font-color1', '#212121'),
    fontFamily: cssVariable('--jp-ui-font-family', 'sans-serif'),
    // The panels' own background, so that a chart is not a darker box in the dark theme.
    paper: cssVariable('--jp-layout-color1', '#ffffff'),
    plot: cssVariable('--jp-layout-color1', '#ffffff'),
    grid: cssVariable('--jp-border-color2', '#e0e0e0'),
    scaleLow: cssVariable('--jp-Studio-scale-low', '#2196f3'),
    scaleHigh: cssVariable('--jp-Studio-scale-high', '#ff9800'),
    marker: cssVariable('--jp-error-color1', '#d32f2f'),
    accent: cssVariable('--jp-brand-color1', '#1976d2')
  };
}

/**
 * A number that changes when JupyterLab switches theme (it sets data-jp-theme-* on the body),
 * so that charts reading CSS variables draw again.
 */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const observer = new MutationObserver(() => setVersion(v => v + 1));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return version;
}
