// @ts-check
// The bundles, as VS Code loads them: the extension host (node), its two worker_threads entries (the engine and
// the analysis, node) and the run panel (web). The CLI rides along with the node bundles so it runs without TypeScript.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const webpack = require('webpack');

/** Copies codicons next to the webview bundle: the panel may load nothing from outside dist/ and media/. */
class CopyCodiconsPlugin {
  /** @param {import('webpack').Compiler} compiler */
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyCodiconsPlugin', () => {
      const from = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
      const to = path.join(__dirname, 'dist', 'codicons');
      fs.mkdirSync(to, { recursive: true });
      for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(from, file), path.join(to, file));
    });
  }
}

/** @param {'node' | 'web'} target @param {string} tsconfig */
const typescriptRule = (tsconfig) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, tsconfig) } }],
});

/** @returns {import('webpack').Configuration[]} */
module.exports = (_env, argv) => {
  const production = argv.mode === 'production';
  /** @type {import('webpack').Configuration} */
  const common = {
    mode: production ? 'production' : 'development',
    devtool: production ? 'hidden-source-map' : 'source-map',
    resolve: { extensions: ['.ts', '.js'] },
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };
  return [
    {
      ...common,
      name: 'node',
      target: 'node20',
      entry: {
        extension: './src/extension.ts',
        worker: './src/engine/worker.ts',
        analysisWorker: './src/analysis/worker.ts',
        cli: './src/cli/main.ts',
      },
      output: {
        path: path.join(__dirname, 'dist'),
        filename: '[name].js',
        libraryTarget: 'commonjs2',
        devtoolModuleFilenameTemplate: '../[resource-path]',
      },
      externals: { vscode: 'commonjs vscode' },
      module: { rules: [typescriptRule('tsconfig.json')] },
      plugins: [
        // Stamps the moment the extension bundle starts loading, so activate() can report load + activation time.
        new webpack.BannerPlugin({
          banner: 'globalThis.__dropoutLensLoadStart = performance.now();',
          raw: true,
          entryOnly: true,
          include: /^extension\.js$/,
        }),
        new webpack.DefinePlugin({
          __DROPOUT_LENS_VERSION__: JSON.stringify(require('./package.json').version),
          // src/session/projectRoot.ts: bundled code finds its workers in dist/ and never needs tsx.
          __DROPOUT_LENS_BUNDLED__: 'true',
        }),
      ],
    },
    {
      ...common,
      name: 'webview',
      target: 'web',
      entry: { panel: './webview/panel/main.ts' },
      output: { path: path.join(__dirname, 'dist', 'webview'), filename: '[name].js' },
      module: { rules: [typescriptRule('webview/tsconfig.json')] },
      performance: { hints: false },
      plugins: [new CopyCodiconsPlugin()],
    },
  ];
};
