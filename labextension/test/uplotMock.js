// uPlot draws on a canvas, which jsdom has not: component tests check what Studio hands to
// uPlot (options, data, setData calls), recorded here; the browser tests check the drawing.
// uPlot's own path builders are the real ones (they run only when uPlot draws).
const real = require('uplot/dist/uPlot.cjs.js');

const instances = [];
const calls = [];

class UPlotMock {
  constructor(opts, data, target) {
    this.opts = opts;
    this.data = data;
    this.width = opts.width;
    this.height = opts.height;
    this.series = opts.series;
    this.scales = { x: { min: undefined, max: undefined } };
    this.destroyed = false;
    this.target = target;
    this.root = document.createElement('div');
    this.root.className = 'uplot';
    target.appendChild(this.root);
    instances.push(this);
    calls.push({ kind: 'create', plot: this, data, element: target });
  }
  setData(data, resetScales = true) {
    this.data = data;
    calls.push({
      kind: 'setData',
      plot: this,
      data,
      resetScales,
      element: this.target
    });
  }
  setScale(key, limits) {
    this.scales[key] = { ...limits };
  }
  setSize(size) {
    this.width = size.width;
    this.height = size.height;
  }
  destroy() {
    this.destroyed = true;
    this.root.remove();
  }
}
UPlotMock.paths = real.paths;
UPlotMock.pxRatio = 1;
UPlotMock.__instances = instances;
UPlotMock.__calls = calls;

module.exports = UPlotMock;
module.exports.default = UPlotMock;
