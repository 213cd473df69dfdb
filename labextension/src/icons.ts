/**
 * Studio's icons, drawn with JupyterLab's icon classes so that they take the theme's colour:
 * Studio's own (bars rising on a pair of axes), the compare panel's (two lines crossing on
 * the same axes) and the notebook jobs' (a clock over a page).
 */
import { LabIcon } from '@jupyterlab/ui-components';

const studioSvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <rect x="7" y="13" width="3" height="5" rx="0.5"/>
    <rect x="12" y="9" width="3" height="9" rx="0.5"/>
    <rect x="17" y="5" width="3" height="13" rx="0.5"/>
  </g>
</svg>`;

export const studioIcon = new LabIcon({
  name: 'jupyter-studio:studio',
  svgstr: studioSvg
});

const compareSvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7 16.6 11 11l3 3 5.6-8.2 1.6 1.1-7 10.3-3-3-2.6 3.6z"/>
    <path d="M7 8.4l1.6-1.1 3.4 4.7 3-2.5 4.8 5.9-1.5 1.2-3.5-4.3-3.2 2.6z" opacity="0.6"/>
  </g>
</svg>`;

export const compareIcon = new LabIcon({
  name: 'jupyter-studio:compare',
  svgstr: compareSvg
});

const jobsSvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M5 2h9l5 5v5.3a6.5 6.5 0 0 0-2-.3V8h-4V4H7v16h4.3c.3.7.7 1.4 1.2 2H5z"/>
    <path d="M17.5 13a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm-.8 2v3.4l2.8 1.7.8-1.2-2.1-1.3V15z"/>
  </g>
</svg>`;

export const jobsIcon = new LabIcon({
  name: 'jupyter-studio:jobs',
  svgstr: jobsSvg
});
