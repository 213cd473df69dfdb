import { nullTranslator } from '@jupyterlab/translation';

import {
  FIGURE_HEIGHT,
  MAX_FIGURE_HEIGHT,
  figureTitle,
  orderedFigures,
  themedFigure
} from '../components/evaluation/figures';
import type { IThemeColors } from '../components/theme';

const THEME: IThemeColors = {
  font: '#eeeeee',
  fontFamily: 'Inter',
  paper: '#111111',
  plot: '#111111',
  grid: '#444444',
  scaleLow: '#2196f3',
  scaleHigh: '#ff9800',
  marker: '#f44336',
  accent: '#42a5f5'
};

const trans = nullTranslator.load('jupyter-studio');

describe('themedFigure', () => {
  it('gives an untitled figure its name’s title, the panel’s width and a height', () => {
    const { data, layout } = themedFigure(
      {
        data: [
          { type: 'scatter', x: [1, 2], y: [3, 4] },
          { type: 'bar', x: [1], y: ['a'], error_x: { array: [0.1] } }
        ],
        layout: { width: 700, xaxis2: { title: { text: 'b' } } }
      },
      THEME,
      ['#f00', '#0f0'],
      figureTitle('calibration', trans)
    );
    expect(layout.title).toEqual({ text: 'Calibration curve' });
    expect(layout.width).toBeUndefined();
    expect(layout.height).toBe(FIGURE_HEIGHT);
    expect(layout.colorway).toEqual(['#f00', '#0f0']);
    // Error bars in the text colour: plotly's default (#444) is lost on the dark theme.
    expect((data[1] as { error_x: unknown }).error_x).toEqual({
      array: [0.1],
      color: '#eeeeee'
    });
    // Every axis, those the figure names and the default pair, in the theme's grid colour.
    expect(layout.xaxis?.gridcolor).toBe('#444444');
    expect(layout.yaxis?.zerolinecolor).toBe('#444444');
    expect((layout as Record<string, any>).xaxis2).toEqual({
      title: { text: 'b' },
      gridcolor: '#444444',
      linecolor: '#444444',
      zerolinecolor: '#444444',
      tickcolor: '#444444'
    });
  });

  it('draws no image, menu or slider a stored figure names, nor one of any height', () => {
    const { layout } = themedFigure(
      {
        data: [],
        layout: {
          height: 1e9,
          images: [{ source: 'https://example.com/pixel.png' }],
          updatemenus: [{ buttons: [] }],
          sliders: [{ steps: [] }]
        }
      },
      THEME,
      [],
      'x'
    );
    expect(layout.height).toBe(MAX_FIGURE_HEIGHT);
    expect(layout.images).toBeUndefined();
    expect(layout.updatemenus).toBeUndefined();
    expect(layout.sliders).toBeUndefined();
  });

  it('keeps a diverging heatmap’s colour scale and a line’s own colour', () => {
    const scale = [
      [0, '#000'],
      [1, '#fff']
    ];
    const { data } = themedFigure(
      {
        data: [
          { type: 'heatmap', z: [[1]], zmid: 0, colorscale: scale },
          { type: 'scatter', line: { dash: 'dot', color: 'red' } },
          { type: 'bar', error_y: { array: [1], color: 'blue' } }
        ],
        layout: { height: 500 }
      },
      THEME,
      [],
      'x'
    );
    expect((data[0] as { colorscale: unknown }).colorscale).toEqual(scale);
    expect(data[1]).toEqual({
      type: 'scatter',
      line: { dash: 'dot', color: 'red' }
    });
    expect(data[2]).toEqual({
      type: 'bar',
      error_y: { array: [1], color: 'blue' }
    });
  });

  it('orders the known figures first, then the others by name', () => {
    expect(
      orderedFigures({ zeta: 1, roc: 1, alpha: 1, confusion_matrix: 1 })
    ).toEqual(['confusion_matrix', 'roc', 'alpha', 'zeta']);
    expect(figureTitle('lift_curve', trans)).toBe('lift curve');
  });
});
