// npm run bench [-- <suite> ...] [--quick]   suites: gemm, train, kmeans, autoencoder
import { benchGemm } from './gemm.mjs';
import { benchTrain } from './train.mjs';
import { benchKmeans } from './kmeans.mjs';
import { benchAutoencoder } from './autoencoder.mjs';

const suites = { gemm: benchGemm, train: benchTrain, kmeans: benchKmeans, autoencoder: benchAutoencoder };
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
for (const name of wanted) {
  if (!(name in suites)) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}${quick ? ', --quick' : ''}`);
for (const name of wanted.length ? wanted : Object.keys(suites)) await suites[name]({ quick });
