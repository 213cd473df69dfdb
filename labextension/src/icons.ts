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

const registrySvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 3 6.5v11L12 22l9-4.5v-11zm0 2.2 6.6 3.3L12 10.8 5.4 7.5zM5 9.1l6 3v7.4l-6-3zm8 10.4v-7.4l6-3v7.4z"/>
  </g>
</svg>`;

/** A model in the registry (a package: a version is a sealed box). */
export const registryIcon = new LabIcon({
  name: 'jupyter-studio:registry',
  svgstr: registrySvg
});

const endpointSvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 4h6v6H4zm10 0h6v6h-6zM4 14h6v6H4zm10 3.5h2.5V14h1v3.5H20v1h-2.5V22h-1v-3.5H14zM10 6.5h4v1h-4zM6.5 10h1v4h-1z"/>
  </g>
</svg>`;

/** An endpoint: variants behind one address. */
export const endpointIcon = new LabIcon({
  name: 'jupyter-studio:endpoint',
  svgstr: endpointSvg
});

const automlSvg = `<svg xmlns="http://www.w3.org/2000/svg"
  width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 1.5l1.5 3.1 3.4.5-2.5 2.4.6 3.4-3-1.6-3 1.6.6-3.4-2.5-2.4 3.4-.5z"/>
    <path d="M9 12h6v10H9zm-7 3h6v7H2zm14 2h6v5h-6z"/>
  </g>
</svg>`;

/** AutoML: a podium, the leaderboard's best on top. */
export const automlIcon = new LabIcon({
  name: 'jupyter-studio:automl',
  svgstr: automlSvg
});
