#!/usr/bin/env node
// Compiles contracts/AnchorRegistry.sol with the pinned npm `solc` (package.json) and writes
// honestmeter/ledger/contract/AnchorRegistry.json, the ABI and bytecode the Python ledger client deploys (it ships
// inside the package, so an installed wheel can anchor).
//
//   node contracts/compile.mjs          write the artifact
//   node contracts/compile.mjs --check  recompile; exit 1 if the committed artifact differs (CI)
//
// The output is deterministic: same source + same solc + same settings => same bytes.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const solc = require('solc')

const CONTRACT = 'AnchorRegistry'
const here = dirname(fileURLToPath(import.meta.url))
const sourcePath = join(here, `${CONTRACT}.sol`)
const artifactPath = join(here, '..', 'honestmeter', 'ledger', 'contract', `${CONTRACT}.json`)

// evmVersion is explicit: "paris" emits no PUSH0 (Shanghai) or MCOPY/TSTORE (Cancun) opcodes, which several
// permissioned EVMs a regulator may run (FISCO BCOS, older Besu genesis configs) do not support.
// Newer EVMs (anvil, eth-tester, current Besu) run paris bytecode unchanged.
const EVM_VERSION = 'paris'
const OPTIMIZER = { enabled: true, runs: 200 }

function compile() {
  const sourceBytes = readFileSync(sourcePath)
  const input = {
    language: 'Solidity',
    sources: { [`${CONTRACT}.sol`]: { content: sourceBytes.toString('utf8') } },
    settings: {
      optimizer: OPTIMIZER,
      evmVersion: EVM_VERSION,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input)))
  const problems = output.errors ?? []
  for (const p of problems) console.error(p.formattedMessage ?? p.message)
  // The compiler is pinned, so the contract is kept free of warnings too.
  if (problems.length > 0) {
    console.error(`compile.mjs: solc reported ${problems.length} problem(s); fix them in ${CONTRACT}.sol`)
    process.exit(1)
  }
  const contract = output.contracts[`${CONTRACT}.sol`][CONTRACT]
  const artifact = {
    contractName: CONTRACT,
    compiler: solc.version(),
    evmVersion: EVM_VERSION,
    optimizer: { enabled: OPTIMIZER.enabled, runs: OPTIMIZER.runs },
    sourceSha256: createHash('sha256').update(sourceBytes).digest('hex'),
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
  }
  return `${JSON.stringify(artifact, null, 2)}\n`
}

const args = process.argv.slice(2)
const unknown = args.filter((a) => a !== '--check')
if (unknown.length > 0) {
  console.error(`usage: node contracts/compile.mjs [--check]  (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}

const text = compile()
const shown = relative(process.cwd(), artifactPath) || artifactPath
if (args.includes('--check')) {
  const committed = existsSync(artifactPath) ? readFileSync(artifactPath, 'utf8') : null
  if (committed !== text) {
    console.error(
      committed === null
        ? `${shown} is missing; run: npm run compile-contracts`
        : `${shown} does not match ${CONTRACT}.sol compiled with solc ${solc.version()}; run: npm run compile-contracts`,
    )
    process.exit(1)
  }
  console.log(`${shown} is up to date (solc ${solc.version()}, evmVersion ${EVM_VERSION})`)
} else {
  mkdirSync(dirname(artifactPath), { recursive: true })
  writeFileSync(artifactPath, text)
  console.log(`wrote ${shown} (solc ${solc.version()}, evmVersion ${EVM_VERSION})`)
}
