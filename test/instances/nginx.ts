// nginx for the instances test: deploy/nginx.conf with the upstream servers, the listen address and
// the file paths rewritten for a prefix directory of its own, run in the foreground without root.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT } from '../../src/contract/paths.js'

const DEPLOY_NGINX_CONF = join(ROOT, 'deploy', 'nginx.conf')

/** The header the test's nginx adds to every answer: which instance(s) it tried, in order. */
export const UPSTREAM_HEADER = 'x-upstream'

function replaceOnce (text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`deploy/nginx.conf: no ${what} to rewrite (${pattern})`)
  return text.replace(pattern, replacement)
}

/**
 * deploy/nginx.conf for loopback: its `server` lines become one per port with the same parameters
 * (max_fails, fail_timeout), `listen 80` becomes 127.0.0.1:<listen>, and logs, pid and temporary
 * files go under `prefix`. Every other directive (keepalive, headers, retries, time-outs) is the
 * deployed one. One addition, for the test only: the answering instance's address in a header.
 */
function nginxConfigFor (template: string, opts: { listen: number, upstreamPorts: number[], prefix: string }): string {
  const serverLine = /^([ \t]*)server[ \t]+\S+:\d+((?:[ \t]+[^;\s]+)*);[ \t]*$/m
  const first = serverLine.exec(template)
  if (first === null) throw new Error('deploy/nginx.conf: no upstream server line')
  const [, indent = '', params = ''] = first
  let seen = 0
  const servers = opts.upstreamPorts.map((port) => `${indent}server 127.0.0.1:${port}${params};`).join('\n')
  // The first server line becomes all of ours; the other deployed ones go, with their line breaks.
  let conf = template.replace(new RegExp(`${serverLine.source}\\n?`, 'gm'), () => seen++ === 0 ? `${servers}\n` : '')
  conf = replaceOnce(conf, /^(\s*)listen\s+80;/m, `$1listen 127.0.0.1:${opts.listen};`, 'listen 80')
  conf = replaceOnce(conf, /^(\s*)access_log\s+[^;]+;/m, `$1access_log ${join(opts.prefix, 'access.log')};`, 'access_log')
  conf = replaceOnce(conf, /^(\s*)error_log\s+[^;]+;/m, `$1error_log ${join(opts.prefix, 'error.log')} warn;`, 'error_log')
  conf = replaceOnce(conf, /^(\s*)proxy_pass\s+[^;]+;/m, `$&\n$1add_header ${UPSTREAM_HEADER} $upstream_addr always;`, 'proxy_pass')
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(opts.prefix, `${kind}_temp`)};`).join('\n')
  conf = replaceOnce(conf, /^http\s*\{/m, `http {\n${temp}`, 'http block')
  return `pid ${join(opts.prefix, 'nginx.pid')};\n${conf}`
}

export interface Nginx {
  readonly child: ChildProcess
  readonly port: number
  /** Graceful stop (SIGQUIT), then SIGKILL after 5 s. */
  stop: () => Promise<void>
  errorLog: () => string
}

export function startNginx (opts: { prefix: string, listen: number, upstreamPorts: number[] }): Nginx {
  // Workers of a root master run as nobody: they must reach the temporary directories in here.
  mkdirSync(opts.prefix, { recursive: true })
  for (const dir of [opts.prefix, dirname(opts.prefix)]) chmodSync(dir, 0o755)
  const conf = join(opts.prefix, 'nginx.conf')
  writeFileSync(conf, nginxConfigFor(readFileSync(DEPLOY_NGINX_CONF, 'utf8'), opts))
  const child = spawn('nginx', ['-p', opts.prefix, '-c', conf, '-e', join(opts.prefix, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    port: opts.listen,
    errorLog: () => {
      try {
        return stderr + readFileSync(join(opts.prefix, 'error.log'), 'utf8')
      } catch {
        return stderr
      }
    },
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}
