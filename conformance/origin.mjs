// Start the cache-tests origin server on 127.0.0.1 only (the suite's own server.mjs listens on
// every interface). Usage: node origin.mjs SUITE_DIR; prints "listening PORT" once it accepts.
import http from 'http'
import path from 'path'
import process from 'process'
import { pathToFileURL } from 'url'

const suite = path.resolve(process.argv[2])
const engine = (await import('fs')).existsSync(path.join(suite, 'test-engine'))
  ? path.join(suite, 'test-engine')
  : suite
const load = async name =>
  (await import(pathToFileURL(path.join(engine, 'server', `handle-${name}.mjs`)))).default
const handlers = {
  config: await load('config'),
  test: await load('test'),
  state: await load('state')
}

const server = http.createServer((request, response) => {
  // One connection per exchange: a pooled connection that Node closes after 5 s idle can be
  // closed just as the proxy reuses it, which would look like one of the suite's deliberate
  // disconnects. It also ends a response framed by an unknown Transfer-Encoding at once.
  response.shouldKeepAlive = false
  const segments = new URL(request.url, 'http://127.0.0.1/').pathname.split('/').slice(1)
  const handler = handlers[segments.shift()]
  if (handler === undefined) {
    response.writeHead(404).end()
  } else {
    handler(segments, request, response)
  }
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
