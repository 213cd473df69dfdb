// plotly.js draws with WebGL and canvas, which jsdom has not: component tests check what
// Studio hands to plotly (traces, layout), recorded here; the browser tests check the drawing.
const calls = [];
module.exports = {
  __calls: calls,
  react: (element, data, layout, config) => {
    calls.push({ element, data, layout, config });
    return Promise.resolve(element);
  },
  newPlot: (element, data, layout, config) => {
    calls.push({ element, data, layout, config });
    return Promise.resolve(element);
  },
  purge: () => undefined,
  Plots: { resize: () => undefined }
};
