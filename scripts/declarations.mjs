// The .d.ts files of dist/types/: type-checks src/ with tsconfig.json, emits the
// declarations into build/types/, and bundles what the package's type entries
// reach into one file per entry (dist/types/<entry>.d.ts) plus the chunks they
// share. A user's editor sees the public declarations only, not a copy of src/'s
// tree with every internal module the public ones happen to import.
//
// One rule is applied on the way out: an optional property accepts `undefined`
// (`epochs?: number | undefined`). Every option the library reads treats an
// undefined value as absent (tests/unit/options-undefined.test.js checks it), so
// a user compiling with exactOptionalPropertyTypes can write
// `{ epochs: flags.epochs }` as the runtime allows. Applied here, at the public
// surface, instead of in every interface of src/, it also holds for options
// added later.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

/** Adds `| undefined` to the type of every optional property (interfaces, type literals, classes) that lacks it. */
function optionalAcceptsUndefined(context) {
  const f = context.factory;
  const includesUndefined = (type) => type.kind === ts.SyntaxKind.UndefinedKeyword ||
    (ts.isUnionTypeNode(type) && type.types.some(includesUndefined)) ||
    (ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.UndefinedKeyword);
  const widen = (type) => {
    if (!type || type.kind === ts.SyntaxKind.AnyKeyword || type.kind === ts.SyntaxKind.UnknownKeyword || includesUndefined(type)) return type;
    // A function or conditional type binds looser than `|`: parenthesize it first.
    const operand = ts.isFunctionTypeNode(type) || ts.isConstructorTypeNode(type) || ts.isConditionalTypeNode(type) ? f.createParenthesizedType(type) : type;
    const members = ts.isUnionTypeNode(operand) ? operand.types : [operand];
    return f.createUnionTypeNode([...members, f.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword)]);
  };
  const visit = (node) => {
    node = ts.visitEachChild(node, visit, context);
    if (ts.isPropertySignature(node) && node.questionToken) {
      return f.updatePropertySignature(node, node.modifiers, node.name, node.questionToken, widen(node.type));
    }
    if (ts.isPropertyDeclaration(node) && node.questionToken) {
      return f.updatePropertyDeclaration(node, node.modifiers, node.name, node.questionToken, widen(node.type), node.initializer);
    }
    return node;
  };
  return (file) => (ts.isSourceFile(file) ? ts.visitNode(file, visit) : file);
}

/**
 * Type-checks, emits and bundles; prints the diagnostics and returns false on a type error.
 * `entries` maps each bundled file's name (dist/types/<name>.d.ts) to its source
 * under src/ (package.json's "types" conditions name the bundled files).
 */
export async function emitDeclarations({ project, entries, outDir }) {
  const configPath = resolve(project);
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  const emitDir = resolve('build/types');
  rmSync(emitDir, { recursive: true, force: true });
  const options = { ...config.options, declarationDir: emitDir, outDir: emitDir };
  const program = ts.createProgram({ rootNames: config.fileNames, options, projectReferences: config.projectReferences });
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: ts.sys.getCurrentDirectory, getNewLine: () => '\n' };
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const emitted = program.emit(undefined, undefined, undefined, true, { afterDeclarations: [optionalAcceptsUndefined] });
  const all = [...diagnostics, ...emitted.diagnostics];
  if (all.length > 0) {
    console.error(ts.formatDiagnosticsWithColorAndContext(all, host));
    return false;
  }
  const input = Object.fromEntries(Object.entries(entries).map(([name, source]) => [name, join(emitDir, source.replace(/\.ts$/, '.d.ts'))]));
  const bundle = await rollup({
    input,
    plugins: [dts()],
    onwarn(warning, warn) {
      // Types the public declarations use without exporting them (the symbol
      // behind `[Symbol.dispose]()` where the runtime lacks it, the kernels' names
      // of activations): a user can use them but not name them, as before bundling.
      if (/still references private shared type exports/.test(warning.message)) return;
      warn(warning);
    },
  });
  // rollup-plugin-dts drops `/// <reference lib="…" />` (esnext.disposable, for
  // Symbol.dispose): every bundled file gets those the emitted files had.
  const libs = new Set();
  for (const file of readdirSync(emitDir, { recursive: true })) {
    if (!String(file).endsWith('.d.ts')) continue;
    for (const m of readFileSync(join(emitDir, String(file)), 'utf8').matchAll(/^\/\/\/ <reference lib="([^"]+)"/gm)) libs.add(m[1]);
  }
  const banner = [...libs].sort().map((lib) => `/// <reference lib="${lib}" />`).join('\n');
  rmSync(outDir, { recursive: true, force: true });
  await bundle.write({ dir: outDir, format: 'es', chunkFileNames: 'shared-[hash].d.ts', entryFileNames: '[name].d.ts', banner });
  await bundle.close();
  return true;
}
