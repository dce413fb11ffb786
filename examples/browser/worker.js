// The Web Worker: loads manytask (the `browser` build, dist/web.js), reads the
// CSV, trains, evaluates and predicts, and reports to the page with postMessage.
// Everything heavy happens here, so the page's main thread only draws.
// init starts the library's worker threads when the page is cross-origin
// isolated (scripts/serve-browser.mjs sends COOP/COEP), and large kernel calls
// are split over them; elsewhere it runs on this thread alone and
// threadInfo().reason says why. The count is init's default in a browser (the
// machine's cores less one, left to the page), or the page's `?threads=N`.
//
// In:  { type: 'load', text } | { type: 'load', file }        a CSV (text, or a File read as UTF-8 bytes)
//      { type: 'train', selection, options }                   see train-core.js
//      { type: 'stop' }                                        stop training after this batch
//      { type: 'predict', id, row }                            one row of feature values
//      { type: 'save' }                                        the model file
// Out: ready (with threadInfo()), columns, started, batch, epochs (the summaries since the last), done, prediction, saved, error
import * as mt from '../../dist/web.js';
import { describeCsv, train, fingerprint, sampleRows } from './train-core.js';

const askedThreads = new URL(self.location.href).searchParams.get('threads');
const ready = mt.init(askedThreads === null ? {} : { threads: Number(askedThreads) });
let csvData = null; // the CSV as loaded: text, or a File's bytes (the library decodes them, refusing what is not UTF-8)
let columns = null;
let model = null;
let training = false;

ready.then(
  () => post({ type: 'ready', threads: mt.threadInfo() }),
  (err) => post({ type: 'error', during: 'init', ...errorInfo(err) }),
);

self.onmessage = (event) => {
  const msg = event.data;
  // 'stop' must act at once, while fit is running (it yields to the event loop between batches).
  if (msg.type === 'stop') {
    if (model && training) model.stopTraining = true;
    return;
  }
  handle(msg).catch((err) => post({ type: 'error', during: msg.type, ...errorInfo(err) }));
};

async function handle(msg) {
  await ready;
  switch (msg.type) {
    case 'load': {
      if (training) throw new Error('stop training before loading other data');
      // Not file.text(): it would turn a Latin-1 file's accents into replacement characters without a word.
      const data = msg.file ? new Uint8Array(await msg.file.arrayBuffer()) : msg.text;
      const info = describeCsv(mt, data);
      csvData = data;
      columns = info.columns;
      post({ type: 'columns', name: msg.name, ...info });
      return;
    }
    case 'train': {
      if (training) throw new Error('already training');
      if (csvData === null) throw new Error('load a CSV first');
      model?.dispose();
      model = null;
      training = true;
      const started = performance.now();
      let lastBatchPost = 0;
      let lastEpochsPost = 0;
      try {
        const result = await train(mt, csvData, msg.selection, msg.options, {
          onModel: (m) => {
            model = m;
            post({ type: 'started', parameters: m.parameters.list().reduce((n, p) => n + p.size, 0), features: m.featureNames.length });
          },
          onEpoch: (summary) => {
            pendingEpochs.push(summary);
            const now = performance.now();
            if (now - lastEpochsPost >= EPOCHS_POST_MS) { lastEpochsPost = now; postEpochs(); }
          },
          onBatch: (batch, logs) => {
            const now = performance.now();
            if (now - lastBatchPost > 100) { lastBatchPost = now; post({ type: 'batch', batch, step: logs.step }); }
          },
        });
        postEpochs(); // the last summaries reach the page before 'done'
        const { history, evaluation, affinity, test, validation } = result;
        const rows = sampleRows(test, 12);
        const inputs = Object.entries(model.inputSpec()).map(([name, type]) => ({
          name,
          type,
          values: type === 'categorical' ? (columns.find((c) => c.name === name)?.values ?? null) : null,
        }));
        post({
          type: 'done',
          reason: history.reason,
          epochsRun: history.epochs.length,
          bestEpoch: history.bestEpoch,
          seconds: (performance.now() - started) / 1000,
          steps: model.steps,
          // train: the rows the optimizer saw; validation: what early stopping watched; test: the metrics below.
          rows: { train: result.train.rows, validation: validation.rows, test: test.rows, all: result.data.rows },
          // The kept model's validation loss: the best epoch's when early stopping restored its weights.
          validationLoss: model.evaluate(validation).loss,
          tasks: model.tasks.map((t) => ({ name: t.name, kind: t.kind, classes: model.classNames(t.name) })),
          evaluation,
          affinity,
          inputs,
          sampleRows: rows,
          fingerprint: await fingerprint(model),
          selection: msg.selection,
          options: msg.options,
        });
      } finally {
        postEpochs(); // when training failed, before the error
        training = false;
      }
      return;
    }
    case 'predict': {
      if (!model) throw new Error('train a model first');
      if (training) throw new Error('wait for training to finish');
      const out = model.predict([msg.row]);
      const result = {};
      for (const [task, p] of Object.entries(out)) {
        switch (p.kind) {
          case 'regression': result[task] = { kind: p.kind, value: p.values[0] }; break;
          case 'binary': {
            const classes = model.classNames(task) ?? [0, 1];
            result[task] = { kind: p.kind, label: p.classes[0], probability: p.probabilities[0], classes };
            break;
          }
          case 'multiclass':
            result[task] = { kind: p.kind, label: p.classes[0], probabilities: p.probabilities[0], classes: model.classNames(task) };
            break;
          case 'multilabel':
            result[task] = { kind: p.kind, labels: p.labels[0], probabilities: p.probabilities[0], classes: model.classNames(task) };
        }
      }
      post({ type: 'prediction', id: msg.id, result });
      return;
    }
    case 'save': {
      if (!model || training) throw new Error('train a model first');
      const bytes = model.save({ metadata: { trainedIn: 'browser example', userAgent: self.navigator?.userAgent ?? '' } });
      post({ type: 'saved', bytes }, [bytes.buffer]);
      return;
    }
    default:
      throw new Error(`unknown message ${JSON.stringify(msg.type)}`);
  }
}

/**
 * Epoch summaries wait here and go to the page together, at most every EPOCHS_POST_MS: on small
 * data an epoch takes well under a millisecond, and a message per epoch kept the page's thread
 * busy reading them.
 */
const EPOCHS_POST_MS = 50;
let pendingEpochs = [];
function postEpochs() {
  if (pendingEpochs.length === 0) return;
  post({ type: 'epochs', epochs: pendingEpochs });
  pendingEpochs = [];
}

function post(message, transfer) {
  self.postMessage(message, transfer ?? []);
}

function errorInfo(err) {
  return { message: err instanceof Error ? err.message : String(err), name: err?.name ?? 'Error', code: err?.code ?? null };
}
