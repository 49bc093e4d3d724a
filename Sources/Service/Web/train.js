// The training view: start a job, list jobs, follow one (polling every 2 s while it is live)
// with its progress and per-epoch curves, cancel it, and promote the model it produced.

import { request, describe, describeAdminError, adminToken, setAdminToken, onAdminTokenChange } from './api.js';
import { lineChart, percent } from './charts.js';

const POLL_MS = 2000;
const LIVE = new Set(['queued', 'running', 'cancelling']);

const $ = (id) => document.getElementById(id);

/** "1 h 02 min", "3 min 05 s", "12 s". */
function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

function when(text) {
  if (!text) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

/** An architecture as the API shows it: its name, or a layer list (a custom network). */
function architectureName(architecture) {
  if (typeof architecture === 'string') return architecture;
  if (Array.isArray(architecture)) return `custom, ${architecture.length} layers`;
  if (architecture && typeof architecture === 'object') {
    if (typeof architecture.name === 'string') return architecture.name;
    if (Array.isArray(architecture.layers)) return `custom, ${architecture.layers.length} layers`;
    return 'custom';
  }
  return undefined;
}

function setMessage(element, text, kind = 'info') {
  element.textContent = text;
  element.dataset.kind = kind;
}

export class TrainingView {
  constructor() {
    this.form = $('train-form');
    this.jobsList = $('jobs');
    this.modelsList = $('models');
    this.selectedId = null;
    /** The followed job as last fetched, and its status then (to notice when it finishes). */
    this.job = null;
    this.lastStatus = null;
    this.pollTimer = null;
    this.pollAbort = null;
    this.activeModel = null;
    this.loaded = false;

    const tokenField = $('admin-token');
    tokenField.value = adminToken();
    tokenField.addEventListener('input', () => setAdminToken(tokenField.value.trim()));
    onAdminTokenChange((token) => { tokenField.value = token; });

    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.start(); });
    $('refresh-jobs').addEventListener('click', () => { this.loadJobs(); this.loadModels(); });
    $('cancel-job').addEventListener('click', () => this.cancel());
    $('use-model').addEventListener('click', () => this.useModel());
    // Charts are drawn at their container's width: redraw when it changes (rotation, resize).
    let width = 0;
    new ResizeObserver(() => {
      const now = $('loss-chart').clientWidth;
      if (this.job && now !== width) { width = now; this.renderCharts(this.job); }
    }).observe($('loss-chart'));
  }

  /** Called when the view is first shown: the lists are fetched only when someone looks. */
  show() {
    if (this.loaded) return;
    this.loaded = true;
    this.loadJobs();
    this.loadModels();
  }

  async start() {
    const message = $('train-message');
    const epochs = Number($('epochs').value);
    const learningRate = Number($('learning-rate').value);
    if (!Number.isInteger(epochs) || epochs < 1) {
      setMessage(message, 'Epochs must be a whole number, at least 1.', 'error');
      $('epochs').focus();
      return;
    }
    if (!Number.isFinite(learningRate) || learningRate <= 0) {
      setMessage(message, 'The learning rate must be a number above 0, e.g. 0.001.', 'error');
      $('learning-rate').focus();
      return;
    }
    const button = $('start-training');
    button.disabled = true;
    setMessage(message, 'Queuing the job…');
    try {
      const job = await request('POST', '/train', {
        body: JSON.stringify({ epochs, learning_rate: learningRate, augment: $('augment').checked }),
        contentType: 'application/json',
        admin: true,
      });
      setMessage(message, `Queued job ${job.id}.`, 'success');
      await this.loadJobs();
      this.select(job.id, job);
    } catch (error) {
      setMessage(message, describeAdminError(error), 'error');
    } finally {
      button.disabled = false;
    }
  }

  async loadJobs() {
    try {
      const { jobs = [] } = await request('GET', '/train');
      this.renderJobs(jobs);
    } catch (error) {
      $('jobs-empty').hidden = false;
      setMessage($('jobs-empty'), `Cannot list jobs: ${describe(error)}`, 'error');
    }
    this.jobsList.dataset.loaded = 'true';
  }

  renderJobs(jobs) {
    $('jobs-empty').hidden = jobs.length > 0;
    setMessage($('jobs-empty'), 'No training jobs yet.');
    const items = jobs.map((job) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'job-item';
      button.dataset.jobId = job.id;
      button.setAttribute('aria-pressed', String(job.id === this.selectedId));
      const name = document.createElement('span');
      name.className = 'job-name';
      name.textContent = job.id;
      const badge = document.createElement('span');
      const meta = document.createElement('span');
      meta.className = 'job-meta';
      button.append(name, badge, meta);
      button.addEventListener('click', () => this.select(job.id));
      item.append(button);
      this.fillJobItem(button, job);
      return item;
    });
    this.jobsList.replaceChildren(...items);
    // Opening the page while a job trains shows it at once.
    if (this.selectedId === null) {
      const live = jobs.find((job) => LIVE.has(job.status));
      if (live) this.select(live.id);
    }
  }

  /** Status badge and one line of facts for a job's entry in the list. */
  fillJobItem(button, job) {
    const [, badge, meta] = button.children;
    badge.className = `badge status-${job.status}`;
    badge.textContent = job.status;
    const epochs = job.params && job.params.epochs;
    const fraction = job.progress && Number.isFinite(job.progress.fraction) ? ` · ${Math.round(job.progress.fraction * 100)}\u00a0%` : '';
    meta.textContent = `${when(job.created_at)}${epochs ? ` · ${epochs} epoch${epochs === 1 ? '' : 's'}` : ''}${LIVE.has(job.status) ? fraction : ''}`;
  }

  /** Keeps the followed job's list entry in step with what each poll reports. */
  updateJobItem(job) {
    const button = [...this.jobsList.querySelectorAll('.job-item')].find((b) => b.dataset.jobId === job.id);
    if (button) this.fillJobItem(button, job);
  }

  /** Follows one job: shows `initial` at once when given, then polls while it is live. */
  select(id, initial) {
    this.selectedId = id;
    for (const button of this.jobsList.querySelectorAll('.job-item')) {
      button.setAttribute('aria-pressed', String(button.dataset.jobId === id));
    }
    setMessage($('job-message'), '');
    this.stopPolling();
    if (initial) this.renderJob(initial);
    this.poll();
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (this.pollAbort) this.pollAbort.abort();
    this.pollAbort = null;
  }

  async poll() {
    const id = this.selectedId;
    const abort = new AbortController();
    this.pollAbort = abort;
    let job;
    try {
      job = await request('GET', `/train/${encodeURIComponent(id)}`, { signal: abort.signal });
    } catch (error) {
      if (error.name === 'AbortError' || id !== this.selectedId) return;
      setMessage($('job-message'), `Cannot load job ${id}: ${describe(error)}`, 'error');
      this.pollTimer = setTimeout(() => this.poll(), POLL_MS * 2);
      return;
    }
    if (id !== this.selectedId) return;
    const wasLive = this.lastStatus && LIVE.has(this.lastStatus);
    this.renderJob(job);
    this.updateJobItem(job);
    if (LIVE.has(job.status)) {
      this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
    } else if (wasLive) {
      // The job just finished: its final status and any new model belong in the lists too.
      this.loadJobs();
      this.loadModels();
    }
  }

  renderJob(job) {
    this.lastStatus = job.status;
    this.job = job;
    $('job-placeholder').hidden = true;
    $('job-detail').hidden = false;
    $('job-heading').textContent = job.id;
    const status = $('job-status');
    status.className = `badge status-${job.status}`;
    status.textContent = job.status;
    $('job-created').textContent = job.created_at ? `created ${when(job.created_at)}` : '';

    const error = $('job-error');
    error.hidden = !job.error;
    error.textContent = job.error ? `Failed: ${typeof job.error === 'string' ? job.error : describe(job.error)}` : '';

    const progress = job.progress || {};
    const fraction = job.status === 'succeeded' ? 1 : Math.min(Math.max(Number(progress.fraction) || 0, 0), 1);
    $('job-progress').value = fraction;
    const parts = [`${Math.round(fraction * 100)}\u00a0%`];
    // `progress.epoch` is the epoch under way (1-based), `step` the step within it.
    if (progress.epochs && progress.epoch) parts.push(`epoch ${progress.epoch} of ${progress.epochs}`);
    if (progress.steps) parts.push(`step ${progress.step || 0} of ${progress.steps}`);
    if (Number.isFinite(progress.images_per_second) && progress.images_per_second > 0) {
      parts.push(`${Math.round(progress.images_per_second).toLocaleString()} images/s`);
    }
    if (LIVE.has(job.status) && Number.isFinite(progress.eta_seconds)) parts.push(`about ${duration(progress.eta_seconds)} left`);
    $('job-progress-label').textContent = parts.join(' · ');

    this.renderParams(job);
    this.renderCharts(job);

    $('cancel-job').hidden = !(job.status === 'queued' || job.status === 'running');
    const useModel = $('use-model');
    useModel.hidden = !(job.status === 'succeeded' && job.model_id);
    const isActive = job.model_id && job.model_id === this.activeModel;
    useModel.disabled = Boolean(isActive);
    useModel.textContent = isActive ? 'In use' : 'Use this model';
  }

  renderParams(job) {
    const params = job.params || {};
    const entries = [
      ['Epochs', params.epochs],
      ['Learning rate', params.learning_rate],
      ['Augment', params.augment === undefined ? undefined : (params.augment ? 'yes' : 'no')],
      ['Batch size', params.batch_size],
      ['Optimizer', params.optimizer],
      ['Schedule', params.schedule],
      ['Architecture', architectureName(params.architecture)],
      ['Model', job.model_id],
    ].filter(([, value]) => value !== undefined && value !== null && value !== '');
    // Each term and its value in one <div> (allowed in <dl>), so the grid keeps pairs together.
    const nodes = entries.map(([term, value]) => {
      const pair = document.createElement('div');
      if (term === 'Model') pair.className = 'wide';
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = String(value);
      pair.append(dt, dd);
      return pair;
    });
    $('job-params').replaceChildren(...nodes);
  }

  renderCharts(job) {
    const metrics = Array.isArray(job.metrics) ? job.metrics : [];
    const xMax = (job.params && job.params.epochs) || (job.progress && job.progress.epochs) || metrics.length;
    const series = (key) => metrics
      .filter((m) => Number.isFinite(m[key]))
      .map((m) => ({ x: m.epoch, y: m[key] }));
    lineChart($('loss-chart'), [{ label: 'Training loss', className: 'series-loss', points: series('loss') }],
      { xMax, kind: 'loss', title: 'Loss' });
    const accuracy = [
      { label: 'Train', className: 'series-train', points: series('train_accuracy') },
      { label: 'Validation', className: 'series-validation', points: series('validation_accuracy') },
      { label: 'Test', className: 'series-test', points: series('test_accuracy') },
    ].filter((s, index) => index === 0 || s.points.length);
    lineChart($('accuracy-chart'), accuracy, { xMax, kind: 'accuracy', title: 'Accuracy' });
  }

  async cancel() {
    const id = this.selectedId;
    const button = $('cancel-job');
    button.disabled = true;
    try {
      const job = await request('DELETE', `/train/${encodeURIComponent(id)}`, { admin: true });
      setMessage($('job-message'), `Cancelling job ${id}.`, 'success');
      if (job && job.id === id) this.renderJob(job);
      this.stopPolling();
      this.poll();
      this.loadJobs();
    } catch (error) {
      setMessage($('job-message'), describeAdminError(error), 'error');
    } finally {
      button.disabled = false;
    }
  }

  async useModel() {
    const modelId = this.job && this.job.model_id;
    if (!modelId) return;
    await this.activate(modelId, $('job-message'));
    if (this.job) this.renderJob(this.job);
  }

  async activate(modelId, messageElement) {
    try {
      await request('POST', `/models/${encodeURIComponent(modelId)}/activate`, { admin: true });
      setMessage(messageElement, `Model ${modelId} now answers /predict.`, 'success');
      await this.loadModels();
      document.dispatchEvent(new CustomEvent('model-activated', { detail: modelId }));
    } catch (error) {
      setMessage(messageElement, describeAdminError(error), 'error');
    }
  }

  async loadModels() {
    try {
      const { models = [], active = null } = await request('GET', '/models');
      this.activeModel = active;
      this.renderModels(models, active);
      if (this.job) this.renderJob(this.job);
    } catch (error) {
      setMessage($('models-message'), `Cannot list models: ${describe(error)}`, 'error');
    }
  }

  renderModels(models, active) {
    setMessage($('models-message'), models.length ? '' : 'No models registered.');
    const items = models.map((model) => {
      const isActive = model.id === active || model.active === true;
      const item = document.createElement('li');
      item.className = `model-item${isActive ? ' is-active' : ''}`;
      const name = document.createElement('span');
      name.className = 'model-name';
      name.textContent = model.id;
      const meta = document.createElement('span');
      meta.className = 'model-meta';
      const accuracy = model.metrics && Number.isFinite(model.metrics.test_accuracy) ? `test ${percent(model.metrics.test_accuracy)}` : '';
      const architecture = architectureName(model.architecture) || '';
      meta.textContent = [architecture, accuracy, when(model.created_at)].filter(Boolean).join(' · ');
      item.append(name, meta);
      if (isActive) {
        const badge = document.createElement('span');
        badge.className = 'badge status-active';
        badge.textContent = 'active';
        item.append(badge);
      } else {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'button small secondary';
        button.textContent = 'Activate';
        button.setAttribute('aria-label', `Activate model ${model.id}`);
        button.addEventListener('click', () => this.activate(model.id, $('models-message')));
        item.append(button);
      }
      return item;
    });
    this.modelsList.replaceChildren(...items);
  }
}
