#!/usr/bin/env node
// The `infrarag` command of the npm package: the same command line as the
// Rust binary and `python -m infrarag` (`infrarag validate DIR`,
// `infrarag checks`, `infrarag --version`), run by the native core.
'use strict'

const { runCli } = require('./index.js')

process.exitCode = runCli(process.argv.slice(2))
