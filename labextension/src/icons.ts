/**
 * Studio's icon: bars rising on a pair of axes, drawn with JupyterLab's icon classes so that
 * it takes the theme's colour.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const studioSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <rect x="7" y="13" width="3" height="5" rx="0.5"/>
    <rect x="12" y="9" width="3" height="9" rx="0.5"/>
    <rect x="17" y="5" width="3" height="13" rx="0.5"/>
  </g>
</svg>`;

export const studioIcon = new LabIcon({ name: 'jupyter-studio:studio', svgstr: studioSvg });
