/** Each line of a stream of JSON lines (application/x-ndjson), parsed, as it arrives. */
export async function* jsonLines<T>(body: AsyncIterable<Uint8Array> | null): AsyncGenerator<T> {
  if (!body) return
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) yield JSON.parse(line) as T
  }
  pending += decoder.decode()
  if (pending.trim()) yield JSON.parse(pending) as T
}
