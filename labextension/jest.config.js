/** Jest: models and React components, in jsdom. */
const esModules = [
  '@jupyterlab',
  '@jupyter',
  '@lumino',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testRegex: '/__tests__/.*\\.spec\\.tsx?$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    '^.+\\.jsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules})/)`],
  moduleNameMapper: {
    '\\.(css|less|svg)$': '<rootDir>/test/styleMock.js',
    '^plotly.js-dist-min$': '<rootDir>/test/plotlyMock.js',
    '^uplot$': '<rootDir>/test/uplotMock.js'
  },
  setupFiles: ['<rootDir>/test/setup.js']
};
