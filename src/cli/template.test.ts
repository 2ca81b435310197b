import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, renderTemplate, TemplateError } from './template.js';

const data = {
  Id: 'abc', Name: '/web', State: { Status: 'running', Pid: 42, Running: true }, Config: { Env: ['A=1', 'B=2'], Labels: { k: 'v', 'com.x': 'y' }, Cmd: null },
  Mounts: [{ Source: '/a' }, { Source: '/b' }], Count: 0,
};

void test('fields, nested fields and missing keys', () => {
  assert.equal(renderTemplate('{{.Id}} {{.State.Status}} {{.State.Pid}}', data), 'abc running 42');
  assert.equal(renderTemplate('{{.Nope}}', data), '<no value>');
  assert.equal(renderTemplate('{{.Config.Cmd}}', data), '<nil>');
  assert.equal(renderTemplate('{{.Config.Labels}}', data), 'map[com.x:y k:v]');
  assert.equal(renderTemplate('{{.Config.Env}}', data), '[A=1 B=2]');
});

void test('json', () => {
  assert.equal(renderTemplate('{{json .State}}', data), '{"Status":"running","Pid":42,"Running":true}');
  assert.equal(renderTemplate('{{json .Config.Env}}', data), '["A=1","B=2"]');
  assert.equal(renderTemplate('{{json .Missing}}', data), 'null');
});

void test('index, join, range, if/else, with', () => {
  assert.equal(renderTemplate('{{index .Config.Labels "com.x"}}', data), 'y');
  assert.equal(renderTemplate('{{index .Config.Env 1}}', data), 'B=2');
  assert.equal(renderTemplate('{{join .Config.Env ","}}', data), 'A=1,B=2');
  assert.equal(renderTemplate('{{range .Mounts}}{{.Source}};{{end}}', data), '/a;/b;');
  assert.equal(renderTemplate('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}', data), 'com.x=y k=v ');
  assert.equal(renderTemplate('{{range $i, $m := .Mounts}}{{$i}}:{{$m.Source}} {{end}}', data), '0:/a 1:/b ');
  assert.equal(renderTemplate('{{range .Nothing}}x{{else}}empty{{end}}', data), 'empty');
  assert.equal(renderTemplate('{{if .State.Running}}up{{else}}down{{end}}', data), 'up');
  assert.equal(renderTemplate('{{if .Count}}a{{else if eq .State.Status "running"}}b{{else}}c{{end}}', data), 'b');
  assert.equal(renderTemplate('{{if and .State.Running (not .Count)}}ok{{end}}', data), 'ok');
  assert.equal(renderTemplate('{{with .State}}{{.Pid}}{{end}}', data), '42');
  assert.equal(renderTemplate('{{with .Nope}}x{{else}}none{{end}}', data), 'none');
});

void test('string functions and pipelines', () => {
  assert.equal(renderTemplate('{{upper .Id}} {{lower "ABC"}} {{title "hello world"}}', data), 'ABC abc Hello World');
  assert.equal(renderTemplate('{{truncate .Name 3}}', data), '/we');
  assert.equal(renderTemplate('{{.Name | upper}}', data), '/WEB');
  assert.equal(renderTemplate('{{.State.Status | printf "%s!"}}', data), 'running!');
  assert.equal(renderTemplate('{{printf "%s-%d-%v" .Id .State.Pid .State.Running}}', data), 'abc-42-true');
  assert.equal(renderTemplate('{{len .Mounts}}', data), '2');
  assert.equal(renderTemplate('{{split "a:b" ":"}}', data), '[a b]');
  assert.equal(renderTemplate('{{pad "x" 1 2}}|', data), ' x  |');
  assert.equal(renderTemplate('{{$n := .Name}}{{$n}}', data), '/web');
  assert.equal(renderTemplate('{{- /* comment */ -}}  {{ .Id -}}  \n', data), 'abc');
});

void test('methods with arguments on typed contexts', () => {
  const labels: Record<string, string> = { a: '1' };
  const row = { ID: 'x' };
  Object.defineProperty(row, 'Label', { value: (k: string) => labels[k] ?? '', enumerable: false });
  assert.equal(renderTemplate('{{.Label "a"}}|{{.Label "b"}}', row), '1|');
});

void test('errors', () => {
  assert.throws(() => new Template('{{nofunc .X}}'), (e: Error) => e instanceof TemplateError && /function "nofunc" not defined/.test(e.message));
  assert.throws(() => new Template('{{if .X}}'), /unexpected EOF/);
  assert.throws(() => renderTemplate('{{index .Config.Env 5}}', data), /index out of range/);
});
