// reco admin console: a single-page app over the JSON routes of `reco serve` (docs/console.md).
// No framework, no build step, no external files. Server text reaches the page only through
// textContent (never innerHTML), and the Content-Security-Policy of /console forbids inline
// scripts, inline styles and eval, so everything is built with DOM calls.
'use strict';

(() => {
  const PAGES = ['overview', 'data', 'preview', 'models', 'jobs', 'evaluation'];
  const LANG_KEY = 'reco.console.lang';
  const OVERVIEW_REFRESH_MS = 5000;
  const JOBS_REFRESH_ACTIVE_MS = 2000;
  const JOBS_REFRESH_IDLE_MS = 10000;
  const HISTORY_WINDOWS = [60, 360, 1440];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // ---------------------------------------------------------------------------------------------
  // Strings: one dictionary per language. A key missing from the current language is an error in
  // the browser console (the browser test fails on it) and falls back to English.
  const I18N = {
    en: {
      'brand.title': 'console',
      'lang.label': 'Language',
      'nav.overview': 'Overview',
      'nav.data': 'Data',
      'nav.preview': 'Preview',
      'nav.models': 'Models',
      'nav.jobs': 'Jobs & pipeline',
      'nav.evaluation': 'Evaluation',
      'common.yes': 'yes',
      'common.no': 'no',
      'common.none': 'none',
      'common.loading': 'Loading…',
      'common.refresh': 'Refresh',
      'common.not_found': 'Not found: {id}',
      'common.updated': 'Updated {time}',
      'dialog.confirm': 'Confirm',
      'dialog.cancel': 'Cancel',
      'action.failed': 'Failed: {message}',
      'error.network': 'The server did not answer: {message}',
      'error.session_ended': 'The session ended; log in again.',
      'error.no_backend': 'This server has no console API (GET /console/api/session answered {status}).',
      'error.load': 'Could not load: {message}',
      'banner.read_only': 'Read-only: {reason}',
      'logout': 'Log out',
      'login.title': 'Log in to the reco console',
      'login.hint': 'Enter the admin token of this server (server.api_key or MODEL_RELOAD_TOKEN).',
      'login.token': 'Admin token',
      'login.submit': 'Log in',
      'login.failed': 'Login failed: {message}',
      'status.healthy': 'healthy',
      'status.degraded': 'degraded',
      'status.queued': 'queued',
      'status.pending': 'pending',
      'status.running': 'running',
      'status.succeeded': 'succeeded',
      'status.failed': 'failed',
      'status.timed_out': 'timed out',
      'status.skipped': 'skipped',
      'overview.health': 'Health',
      'overview.status': 'Status',
      'overview.models_loaded': 'Models loaded',
      'overview.store': 'Store',
      'overview.store_ok': 'reachable',
      'overview.store_down': 'unreachable',
      'overview.writable': 'writable',
      'overview.read_only': 'read-only',
      'overview.snapshot': 'Data snapshot',
      'overview.model_kinds': 'Model kinds',
      'overview.recs_algorithm': 'Per-user lists',
      'overview.serving': 'Serving versions',
      'overview.variant': 'Variant',
      'overview.run_id': 'Run',
      'overview.model_version': 'Model version',
      'overview.rollout': 'Rollout',
      'overview.none_serving': 'not serving',
      'overview.aliases': 'Registry aliases',
      'overview.alias': 'Alias',
      'overview.no_registry': 'No registered versions.',
      'overview.charts': 'Live metrics (in-process history)',
      'overview.window': 'Window',
      'overview.window_60': 'last hour',
      'overview.window_360': 'last 6 hours',
      'overview.window_1440': 'last 24 hours',
      'overview.chart_requests': 'Request rate',
      'overview.chart_latency': 'Recommendation latency',
      'overview.chart_errors': 'Errors',
      'overview.chart_degraded': 'Degraded answers',
      'overview.chart_error_ratio': 'Error ratio',
      'overview.chart_feedback': 'Feedback rate',
      'overview.series_requests': 'requests/s',
      'overview.series_recommendations': 'recommendations/s',
      'overview.series_p50': 'p50',
      'overview.series_p99': 'p99',
      'overview.series_errors': 'errors/s',
      'overview.series_error_ratio': 'error ratio',
      'overview.series_degraded': 'degraded share of answers',
      'overview.series_feedback': 'feedback/s',
      'overview.no_points': 'No points yet: the first arrives one interval after start.',
      'overview.history_meta': 'One point every {interval} s, kept {hours} h.',
      'variant.primary': 'primary',
      'variant.canary': 'canary',
      'variant.shadow': 'shadow',
      'data.counts': 'Counts',
      'data.users': 'Users',
      'data.items': 'Items',
      'data.feedback': 'Feedback',
      'data.recent': 'Recent feedback',
      'data.no_feedback': 'No feedback yet.',
      'data.type': 'Type',
      'data.user': 'User',
      'data.item': 'Item',
      'data.value': 'Value',
      'data.time': 'Time',
      'data.comment': 'Comment',
      'data.lookup_user': 'Look up a user',
      'data.lookup_item': 'Look up an item',
      'data.user_id': 'User id',
      'data.item_id': 'Item id',
      'data.lookup': 'Look up',
      'data.labels': 'Labels',
      'data.categories': 'Categories',
      'data.hidden': 'Hidden',
      'data.user_feedback': 'Newest feedback of this user ({count} in all)',
      'data.neighbors': 'Similar items',
      'data.no_neighbors': 'No similar items.',
      'data.preview_link': 'Preview this user\'s recommendations',
      'data.score': 'Score',
      'preview.title': 'Recommendation preview',
      'preview.hint': 'What this user gets from the serving models; not logged as an exposure and not counted in the served metrics.',
      'preview.user': 'User id',
      'preview.n': 'Items',
      'preview.category': 'Category (optional)',
      'preview.submit': 'Preview',
      'preview.known_user': 'Known user',
      'preview.variant': 'Variant',
      'preview.degraded': 'Degraded',
      'preview.not_degraded': 'no',
      'preview.items': 'Recommended items',
      'preview.rank': '#',
      'preview.source': 'Source',
      'preview.no_items': 'No items.',
      'preview.missing_item': 'not in the store',
      'preview.history': 'Newest feedback of the user',
      'preview.no_history': 'No feedback.',
      'preview.enter_user': 'Enter a user id.',
      'preview.recent_users': 'Users of the newest feedback:',
      'preview.pick': 'Pick a user',
      'preview.result': 'What the user gets',
      'degraded.itemcf_model_missing': 'item-CF model missing',
      'degraded.cold_user': 'cold user',
      'degraded.no_positive_history': 'no positive history',
      'degraded.itemcf_insufficient': 'item-CF too few',
      'degraded.popularity_model_missing': 'popularity model missing',
      'degraded.fallback_category_popular': 'filled from category popular',
      'degraded.fallback_popular': 'filled from popular',
      'degraded.fallback_latest': 'filled from latest',
      'source.precomputed': 'precomputed',
      'source.itemcf': 'item-CF',
      'source.category_popular': 'popular in category',
      'source.popular': 'popular',
      'source.latest': 'latest',
      'source.vector': 'content vectors',
      'models.serving': 'Serving now',
      'models.registry': 'Registry versions',
      'models.runs': 'Training runs',
      'models.created': 'Created',
      'models.algorithm': 'Algorithm',
      'models.aliases': 'Aliases',
      'models.metrics': 'Metrics',
      'models.actions': 'Actions',
      'models.status': 'Status',
      'models.started': 'Started',
      'models.duration': 'Duration',
      'models.error': 'Error',
      'models.no_versions': 'No registered versions.',
      'models.no_runs': 'No training runs.',
      'models.promote': 'Promote',
      'models.canary': 'Canary',
      'models.shadow': 'Shadow',
      'models.withdraw': 'Withdraw',
      'models.rollback': 'Roll back to previous',
      'models.rollback_none': 'No version has the alias previous.',
      'models.metrics_more': '{count} metrics',
      'models.confirm_promote_title': 'Promote to production?',
      'models.confirm_promote': 'Version {run} becomes production and is served to every user; the current production version becomes previous.',
      'models.confirm_canary_title': 'Start a canary?',
      'models.confirm_canary': 'Version {run} is served to a share of users (by a hash of the user id).',
      'models.confirm_shadow_title': 'Start a shadow?',
      'models.confirm_shadow': 'Version {run} is scored for a share of requests and logged only; users keep seeing production.',
      'models.confirm_rollback_title': 'Roll back production?',
      'models.confirm_rollback': 'Production goes back to version {run} and is reloaded.',
      'models.confirm_withdraw_title': 'Withdraw the {alias}?',
      'models.confirm_withdraw': 'Version {run} stops serving as {alias} and loses the alias.',
      'models.rollout_share': 'Share of users (0–1]',
      'models.promoted': 'Version {run} is now {alias}.',
      'models.rolled_back': 'Rolled back: production is now {run}.',
      'models.withdrawn': 'The {alias} was withdrawn.',
      'jobs.schedule': 'Schedule',
      'jobs.leader': 'Leader',
      'jobs.is_leader': 'This server leads',
      'jobs.lease_expires': 'Lease expires',
      'jobs.name': 'Job',
      'jobs.cron': 'Cron (UTC)',
      'jobs.next_run': 'Next run',
      'jobs.last_run': 'Last run',
      'jobs.run_now': 'Run now',
      'jobs.no_jobs': 'No jobs.',
      'jobs.runs': 'Job runs',
      'jobs.no_runs': 'No job runs yet.',
      'jobs.id': 'Run',
      'jobs.trigger': 'Trigger',
      'jobs.attempts': 'Attempts',
      'jobs.created': 'Queued',
      'jobs.start': 'Start',
      'jobs.end': 'End',
      'jobs.error': 'Error',
      'jobs.confirm_run_title': 'Run {job} now?',
      'jobs.confirm_run': 'A manual run of {job} is queued; the scheduler leader starts it.',
      'jobs.queued': 'Run {id} of {job} queued.',
      'pipeline.title': 'Pipeline runs',
      'pipeline.start': 'Start a pipeline run',
      'pipeline.confirm_title': 'Start a pipeline run?',
      'pipeline.confirm': 'The whole pipeline (extract … publish) runs in this server; only one run at a time.',
      'pipeline.mode': 'Publish as',
      'pipeline.mode_primary': 'production (primary)',
      'pipeline.mode_canary': 'canary',
      'pipeline.rollout': 'Canary share (0–1]',
      'pipeline.started': 'Pipeline run {id} started.',
      'pipeline.no_runs': 'No pipeline runs yet.',
      'pipeline.run': 'Run {id}',
      'pipeline.date': 'Date',
      'pipeline.published': 'Published',
      'pipeline.reason': 'Why',
      'pipeline.task': 'Task',
      'pipeline.message': 'Message',
      'pipeline.log': 'Log',
      'pipeline.show_log': 'Show log',
      'pipeline.log_of': 'Log of {task} in run {run} (last 64 KiB)',
      'pipeline.log_empty': 'The log is empty.',
      'pipeline.log_hint': 'Pick "Show log" on a task to read its log here.',
      'evaluation.summary': 'Offline evaluation summary',
      'evaluation.no_summary': 'No summary yet: the pipeline\'s evaluate task writes it.',
      'evaluation.exposure': 'Exposure metrics',
      'evaluation.no_exposure': 'No exposure metrics yet: the pipeline\'s evaluate task writes them.',
      'evaluation.reconciliations': 'Reconciliation files',
      'evaluation.no_reconciliations': 'No reconciliation files yet: the pipeline\'s reconcile_metrics task writes them.',
      'evaluation.modified': 'Written {time}',
      'evaluation.date': 'Date',
      'evaluation.modified_col': 'Written',
      'evaluation.open': 'Open',
      'evaluation.file': 'Reconciliation of {date}',
    },
    'zh-CN': {
      'brand.title': '管理控制台',
      'lang.label': '语言',
      'nav.overview': '概览',
      'nav.data': '数据',
      'nav.preview': '推荐预览',
      'nav.models': '模型',
      'nav.jobs': '任务与流水线',
      'nav.evaluation': '评估',
      'common.yes': '是',
      'common.no': '否',
      'common.none': '无',
      'common.loading': '加载中…',
      'common.refresh': '刷新',
      'common.not_found': '未找到：{id}',
      'common.updated': '更新于 {time}',
      'dialog.confirm': '确认',
      'dialog.cancel': '取消',
      'action.failed': '失败：{message}',
      'error.network': '服务器无响应：{message}',
      'error.session_ended': '会话已结束，请重新登录。',
      'error.no_backend': '此服务器没有控制台 API（GET /console/api/session 返回 {status}）。',
      'error.load': '加载失败：{message}',
      'banner.read_only': '只读：{reason}',
      'logout': '退出登录',
      'login.title': '登录 reco 管理控制台',
      'login.hint': '输入此服务器的管理令牌（server.api_key 或 MODEL_RELOAD_TOKEN）。',
      'login.token': '管理令牌',
      'login.submit': '登录',
      'login.failed': '登录失败：{message}',
      'status.healthy': '健康',
      'status.degraded': '降级',
      'status.queued': '排队中',
      'status.pending': '等待中',
      'status.running': '运行中',
      'status.succeeded': '成功',
      'status.failed': '失败',
      'status.timed_out': '超时',
      'status.skipped': '已跳过',
      'overview.health': '健康状态',
      'overview.status': '状态',
      'overview.models_loaded': '模型已加载',
      'overview.store': '存储',
      'overview.store_ok': '可访问',
      'overview.store_down': '不可访问',
      'overview.writable': '可写',
      'overview.read_only': '只读',
      'overview.snapshot': '数据快照',
      'overview.model_kinds': '模型类型',
      'overview.recs_algorithm': '用户推荐列表',
      'overview.serving': '在线模型版本',
      'overview.variant': '变体',
      'overview.run_id': '运行',
      'overview.model_version': '模型版本',
      'overview.rollout': '流量比例',
      'overview.none_serving': '未上线',
      'overview.aliases': '注册表别名',
      'overview.alias': '别名',
      'overview.no_registry': '没有已注册的版本。',
      'overview.charts': '实时指标（进程内历史）',
      'overview.window': '时间窗口',
      'overview.window_60': '最近 1 小时',
      'overview.window_360': '最近 6 小时',
      'overview.window_1440': '最近 24 小时',
      'overview.chart_requests': '请求速率',
      'overview.chart_latency': '推荐延迟',
      'overview.chart_errors': '错误',
      'overview.chart_degraded': '降级应答',
      'overview.chart_error_ratio': '错误率',
      'overview.chart_feedback': '反馈速率',
      'overview.series_requests': '请求/秒',
      'overview.series_recommendations': '推荐/秒',
      'overview.series_p50': 'p50',
      'overview.series_p99': 'p99',
      'overview.series_errors': '错误/秒',
      'overview.series_error_ratio': '错误率',
      'overview.series_degraded': '降级应答占比',
      'overview.series_feedback': '反馈/秒',
      'overview.no_points': '暂无数据点：启动后一个采样间隔即出现第一个点。',
      'overview.history_meta': '每 {interval} 秒一个点，保留 {hours} 小时。',
      'variant.primary': '主版本',
      'variant.canary': '金丝雀',
      'variant.shadow': '影子',
      'data.counts': '数量',
      'data.users': '用户',
      'data.items': '物品',
      'data.feedback': '反馈',
      'data.recent': '最新反馈',
      'data.no_feedback': '还没有反馈。',
      'data.type': '类型',
      'data.user': '用户',
      'data.item': '物品',
      'data.value': '值',
      'data.time': '时间',
      'data.comment': '备注',
      'data.lookup_user': '查询用户',
      'data.lookup_item': '查询物品',
      'data.user_id': '用户 ID',
      'data.item_id': '物品 ID',
      'data.lookup': '查询',
      'data.labels': '标签',
      'data.categories': '类目',
      'data.hidden': '已隐藏',
      'data.user_feedback': '该用户的最新反馈（共 {count} 条）',
      'data.neighbors': '相似物品',
      'data.no_neighbors': '没有相似物品。',
      'data.preview_link': '预览该用户的推荐',
      'data.score': '分数',
      'preview.title': '推荐预览',
      'preview.hint': '该用户从在线模型得到的推荐；不记为曝光，也不计入服务指标。',
      'preview.user': '用户 ID',
      'preview.n': '条数',
      'preview.category': '类目（可选）',
      'preview.submit': '预览',
      'preview.known_user': '已知用户',
      'preview.variant': '变体',
      'preview.degraded': '降级',
      'preview.not_degraded': '否',
      'preview.items': '推荐物品',
      'preview.rank': '#',
      'preview.source': '来源',
      'preview.no_items': '没有物品。',
      'preview.missing_item': '存储中没有此物品',
      'preview.history': '该用户的最新反馈',
      'preview.no_history': '没有反馈。',
      'preview.enter_user': '请输入用户 ID。',
      'preview.recent_users': '最新反馈的用户：',
      'preview.pick': '选择用户',
      'preview.result': '该用户得到的推荐',
      'degraded.itemcf_model_missing': '缺少物品协同过滤模型',
      'degraded.cold_user': '冷启动用户',
      'degraded.no_positive_history': '没有正向历史',
      'degraded.itemcf_insufficient': '协同过滤结果不足',
      'degraded.popularity_model_missing': '缺少热门模型',
      'degraded.fallback_category_popular': '由类目热门补足',
      'degraded.fallback_popular': '由热门补足',
      'degraded.fallback_latest': '由最新补足',
      'source.precomputed': '离线预计算',
      'source.itemcf': '物品协同过滤',
      'source.category_popular': '类目热门',
      'source.popular': '热门',
      'source.latest': '最新',
      'source.vector': '内容向量',
      'models.serving': '当前在线',
      'models.registry': '注册表版本',
      'models.runs': '训练运行',
      'models.created': '创建时间',
      'models.algorithm': '算法',
      'models.aliases': '别名',
      'models.metrics': '指标',
      'models.actions': '操作',
      'models.status': '状态',
      'models.started': '开始时间',
      'models.duration': '耗时',
      'models.error': '错误',
      'models.no_versions': '没有已注册的版本。',
      'models.no_runs': '没有训练运行。',
      'models.promote': '发布',
      'models.canary': '金丝雀',
      'models.shadow': '影子',
      'models.withdraw': '撤下',
      'models.rollback': '回滚到上一版本',
      'models.rollback_none': '没有带 previous 别名的版本。',
      'models.metrics_more': '{count} 项指标',
      'models.confirm_promote_title': '发布到生产？',
      'models.confirm_promote': '版本 {run} 成为生产版本并服务所有用户；当前生产版本成为 previous。',
      'models.confirm_canary_title': '开始金丝雀发布？',
      'models.confirm_canary': '版本 {run} 按用户 ID 哈希服务一部分用户。',
      'models.confirm_shadow_title': '开始影子运行？',
      'models.confirm_shadow': '版本 {run} 对一部分请求打分并只记录日志；用户仍看到生产版本。',
      'models.confirm_rollback_title': '回滚生产版本？',
      'models.confirm_rollback': '生产版本回到 {run} 并重新加载。',
      'models.confirm_withdraw_title': '撤下{alias}？',
      'models.confirm_withdraw': '版本 {run} 不再作为{alias}提供服务，并失去该别名。',
      'models.rollout_share': '用户比例 (0–1]',
      'models.promoted': '版本 {run} 现在是 {alias}。',
      'models.rolled_back': '已回滚：生产版本现在是 {run}。',
      'models.withdrawn': '{alias}已撤下。',
      'jobs.schedule': '调度',
      'jobs.leader': '领导者',
      'jobs.is_leader': '本服务器为领导者',
      'jobs.lease_expires': '租约到期',
      'jobs.name': '任务',
      'jobs.cron': 'Cron（UTC）',
      'jobs.next_run': '下次运行',
      'jobs.last_run': '上次运行',
      'jobs.run_now': '立即运行',
      'jobs.no_jobs': '没有任务。',
      'jobs.runs': '任务运行记录',
      'jobs.no_runs': '还没有任务运行。',
      'jobs.id': '运行',
      'jobs.trigger': '触发方式',
      'jobs.attempts': '尝试次数',
      'jobs.created': '入队时间',
      'jobs.start': '开始',
      'jobs.end': '结束',
      'jobs.error': '错误',
      'jobs.confirm_run_title': '立即运行 {job}？',
      'jobs.confirm_run': '{job} 的一次手动运行将入队，由调度领导者启动。',
      'jobs.queued': '{job} 的运行 {id} 已入队。',
      'pipeline.title': '流水线运行',
      'pipeline.start': '启动流水线运行',
      'pipeline.confirm_title': '启动流水线运行？',
      'pipeline.confirm': '整条流水线（extract … publish）在此服务器中运行；同一时间只能有一个运行。',
      'pipeline.mode': '发布为',
      'pipeline.mode_primary': '生产（主版本）',
      'pipeline.mode_canary': '金丝雀',
      'pipeline.rollout': '金丝雀比例 (0–1]',
      'pipeline.started': '流水线运行 {id} 已启动。',
      'pipeline.no_runs': '还没有流水线运行。',
      'pipeline.run': '运行 {id}',
      'pipeline.date': '日期',
      'pipeline.published': '已发布',
      'pipeline.reason': '原因',
      'pipeline.task': '步骤',
      'pipeline.message': '消息',
      'pipeline.log': '日志',
      'pipeline.show_log': '查看日志',
      'pipeline.log_of': '运行 {run} 中 {task} 的日志（最后 64 KiB）',
      'pipeline.log_empty': '日志为空。',
      'pipeline.log_hint': '点击步骤的“查看日志”在此阅读其日志。',
      'evaluation.summary': '离线评估摘要',
      'evaluation.no_summary': '还没有摘要：由流水线的 evaluate 步骤写入。',
      'evaluation.exposure': '曝光指标',
      'evaluation.no_exposure': '还没有曝光指标：由流水线的 evaluate 步骤写入。',
      'evaluation.reconciliations': '对账文件',
      'evaluation.no_reconciliations': '还没有对账文件：由流水线的 reconcile_metrics 步骤写入。',
      'evaluation.modified': '写入于 {time}',
      'evaluation.date': '日期',
      'evaluation.modified_col': '写入时间',
      'evaluation.open': '打开',
      'evaluation.file': '{date} 的对账结果',
    },
  };

  const state = {
    lang: 'en',
    session: null,
    fatal: '',
    renderSeq: 0,
    timer: 0,
    historyMinutes: 60,
  };

  function t(key, params) {
    let s = I18N[state.lang][key];
    if (s === undefined) {
      console.error(`reco console: no ${state.lang} string for "${key}"`);
      s = I18N.en[key] !== undefined ? I18N.en[key] : key;
    }
    if (params) {
      s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
    }
    return s;
  }

  // A translation when the dictionary has `prefix.value`, else the value itself (server words
  // such as job statuses that may grow).
  function tOr(prefix, value) {
    const key = `${prefix}.${value}`;
    return I18N[state.lang][key] !== undefined ? I18N[state.lang][key] : String(value);
  }

  function initialLang() {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && I18N[saved]) return saved;
    const langs = navigator.languages && navigator.languages.length ? navigator.languages
                                                                     : [navigator.language || 'en'];
    return String(langs[0]).toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers. Children that are not nodes become text nodes, so server text is never parsed.
  const $ = (selector) => document.querySelector(selector);

  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  function applyProps(node, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.setAttribute('class', v);
      else if (k === 'text') node.textContent = String(v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'value') node.value = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    applyProps(node, props);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    append(node, children);
    return node;
  }

  function locale() { return state.lang === 'zh-CN' ? 'zh-CN' : 'en-GB'; }

  function fmtTime(iso) {
    if (iso === null || iso === undefined || iso === '') return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(locale(), {
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    });
  }

  function timeEl(iso) {
    return el('time', { datetime: iso || null, title: iso || null, text: fmtTime(iso) });
  }

  function fmtClock(unixSeconds, withSeconds) {
    return new Date(unixSeconds * 1000).toLocaleTimeString(locale(), {
      hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined, hour12: false,
    });
  }

  function fmtNumber(v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '—' : String(v);
    if (Number.isInteger(v)) return v.toLocaleString(locale());
    const abs = Math.abs(v);
    const digits = abs >= 100 ? 1 : abs >= 1 ? 3 : 4;
    return v.toLocaleString(locale(), { maximumFractionDigits: digits });
  }

  function fmtRate(v) {
    if (v === 0) return '0';
    return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  }

  function fmtMs(seconds) {
    const ms = seconds * 1000;
    return `${ms >= 10 ? ms.toFixed(0) : ms.toFixed(1)} ms`;
  }

  function fmtPercent(ratio) {
    const p = ratio * 100;
    return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
  }

  function fmtJson(v) {
    if (v === null || v === undefined) return '—';
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  function badge(text, kind) {
    return el('span', { class: `badge${kind ? ` badge-${kind}` : ''}`, text });
  }

  function statusKind(status) {
    if (['succeeded', 'healthy', 'ok', 'published'].includes(status)) return 'ok';
    if (['failed', 'timed_out', 'degraded'].includes(status)) return 'bad';
    if (['running', 'queued', 'pending'].includes(status)) return 'warn';
    return '';
  }

  function statusBadge(status) {
    const b = badge(tOr('status', status), statusKind(status));
    b.dataset.status = status;
    return b;
  }

  function aliasBadge(alias) {
    const kinds = { production: 'ok', canary: 'warn', shadow: 'accent', previous: '' };
    const b = badge(alias, kinds[alias] || '');
    b.dataset.alias = alias;
    return b;
  }

  function panel(title, props, ...body) {
    const head = el('div', { class: 'panel-head' }, el('h2', { text: title }));
    return el('section', Object.assign({ class: 'panel' }, props || {}), head, ...body);
  }

  function emptyText(text) { return el('p', { class: 'empty', text }); }

  function errorText(err) {
    return el('p', { class: 'error-text', text: t('error.load', { message: err.message }) });
  }

  // headers: [label | {label, num}]; rows: [[cell...] | {cells, attrs}].
  function table(headers, rows, props) {
    const head = el('tr', null, headers.map((h) => el('th', {
      class: h.num ? 'num' : null, text: typeof h === 'string' ? h : h.label,
    })));
    const body = el('tbody');
    for (const row of rows) {
      const cells = Array.isArray(row) ? row : row.cells;
      body.appendChild(el('tr', Array.isArray(row) ? null : row.attrs, cells.map((c, i) => el('td', {
        class: headers[i] && headers[i].num ? 'num' : null,
      }, c))));
    }
    return el('div', { class: 'table-wrap' }, el('table', props || null, el('thead', null, head), body));
  }

  function kv(pairs, props) {
    const dl = el('dl', Object.assign({ class: 'kv' }, props || {}));
    for (const [k, v] of pairs) dl.append(el('dt', { text: k }), el('dd', null, v));
    return dl;
  }

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  // Any JSON value as nested key/value lists and tables (evaluation files, run metrics).
  function renderJson(v, depth = 0) {
    if (v === null || v === undefined) return el('span', { class: 'muted', text: '—' });
    if (Array.isArray(v)) {
      if (v.length === 0) return el('span', { class: 'muted', text: t('common.none') });
      if (v.every(isObject) && depth < 4) {
        const keys = [];
        for (const row of v) for (const k of Object.keys(row)) if (!keys.includes(k)) keys.push(k);
        return table(keys, v.map((row) => keys.map((k) => renderJson(row[k], depth + 1))));
      }
      if (v.every((x) => !isObject(x) && !Array.isArray(x))) {
        return el('span', { text: v.map((x) => (typeof x === 'number' ? fmtNumber(x) : fmtJson(x))).join(', ') });
      }
      return el('code', { text: JSON.stringify(v) });
    }
    if (isObject(v)) {
      if (depth >= 4) return el('code', { text: JSON.stringify(v) });
      return kv(Object.entries(v).map(([k, x]) => [k, renderJson(x, depth + 1)]));
    }
    if (typeof v === 'number') return el('span', { class: 'mono', text: fmtNumber(v) });
    if (typeof v === 'boolean') return el('span', { text: v ? t('common.yes') : t('common.no') });
    return el('span', { text: String(v) });
  }

  // ---------------------------------------------------------------------------------------------
  // Server calls. The session cookie travels by itself; state-changing calls add the CSRF token.
  class ApiError extends Error {
    constructor(status, message, field) {
      super(message);
      this.status = status;
      this.field = field || '';
    }
  }

  async function api(method, path, body, options) {
    const opts = options || {};
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      if (state.session && state.session.csrf_token) headers['X-CSRF-Token'] = state.session.csrf_token;
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, t('error.network', { message: e.message }));
    }
    const text = await res.text();
    let data = text;
    if ((res.headers.get('Content-Type') || '').includes('json') && text !== '') {
      try { data = JSON.parse(text); } catch (e) { data = text; }
    }
    if (res.status === 401 && !opts.loginCall) {
      sessionEnded();
      throw new ApiError(401, t('error.session_ended'));
    }
    if (!res.ok) {
      const [message, field] = errorOf(data, res.statusText);
      throw new ApiError(res.status, `HTTP ${res.status}: ${message}${field ? ` (${field})` : ''}`, field);
    }
    return data;
  }

  // [message, field] of an error body: {"error": {"message", "field"?, ...}} (the server's
  // shape), {"error": "message", "field"?}, or plain text.
  function errorOf(data, fallback) {
    if (isObject(data) && isObject(data.error)) {
      return [String(data.error.message || fallback), data.error.field ? String(data.error.field) : ''];
    }
    if (isObject(data) && data.error) return [String(data.error), data.field ? String(data.field) : ''];
    if (typeof data === 'string' && data.trim() !== '') return [data.trim(), ''];
    return [fallback, ''];
  }

  // {data} or {error}; a 401 propagates (the login form replaces the page).
  async function tryApi(path) {
    try {
      return { data: await api('GET', path) };
    } catch (e) {
      if (e.status === 401) throw e;
      return { error: e };
    }
  }

  const enc = encodeURIComponent;

  async function loadSession() {
    state.fatal = '';
    let res;
    try {
      res = await fetch('/console/api/session', {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
      });
    } catch (e) {
      state.session = null;
      state.fatal = t('error.network', { message: e.message });
      return;
    }
    if (!res.ok) {
      state.session = null;
      state.fatal = t('error.no_backend', { status: res.status });
      return;
    }
    state.session = await res.json();
  }

  function canAct() { return Boolean(state.session && state.session.can_act); }

  function needsLogin() {
    return Boolean(state.session && state.session.auth_required && !state.session.logged_in);
  }

  // A 401: the session expired or the server restarted; ask the server what holds now.
  function sessionEnded() {
    loadSession().then(route);
  }

  // Event handlers start async work nobody awaits; a 401 inside it already redrew the page.
  function quietly(promise) {
    promise.catch((e) => { if (e.status !== 401) flash('error', t('action.failed', { message: e.message })); });
  }

  // ---------------------------------------------------------------------------------------------
  // Result messages and the confirmation dialog (a <dialog>, so tests can click its buttons).
  function flash(kind, text, data) {
    const box = $('#flash');
    box.textContent = text;
    box.dataset.kind = kind;
    for (const k of Object.keys(box.dataset)) if (k !== 'kind') delete box.dataset[k];
    Object.assign(box.dataset, data || {});
    box.hidden = false;
  }

  function hideFlash() {
    const box = $('#flash');
    box.hidden = true;
    box.textContent = '';
  }

  function fieldInput(f) {
    const id = `confirm-field-${f.name}`;
    if (f.type === 'select') {
      const s = el('select', { id }, f.options.map((o) => el('option', { value: o.value, text: o.label })));
      s.value = f.value;
      return s;
    }
    return el('input', {
      id, type: f.type || 'text', value: f.value, min: f.min, max: f.max, step: f.step, required: true,
    });
  }

  // Resolves to the fields' values ({} without fields) when confirmed, null when cancelled.
  function confirmDialog({ title, message, fields, okLabel, danger }) {
    const dialog = $('#confirm-dialog');
    const form = $('#confirm-form');
    const ok = $('#confirm-ok');
    const cancel = $('#confirm-cancel');
    $('#confirm-title').textContent = title;
    $('#confirm-message').textContent = message;
    const box = $('#confirm-fields');
    box.replaceChildren();
    const inputs = {};
    for (const f of fields || []) {
      inputs[f.name] = fieldInput(f);
      const label = el('label', { class: 'field' }, f.label, inputs[f.name]);
      box.append(label);
      // A field that matters only for one value of another field (the canary share).
      if (f.showIf) {
        const [other, wanted] = f.showIf;
        const input = inputs[f.name];
        const toggle = () => {
          label.hidden = inputs[other].value !== wanted;
          input.required = !label.hidden;
        };
        inputs[other].addEventListener('change', toggle);
        toggle();
      }
    }
    ok.textContent = okLabel || t('dialog.confirm');
    ok.className = `btn ${danger ? 'btn-danger' : 'btn-primary'}`;
    cancel.textContent = t('dialog.cancel');
    return new Promise((resolve) => {
      const finish = (value) => {
        form.removeEventListener('submit', onSubmit);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      };
      const onSubmit = (e) => {
        e.preventDefault();
        const values = {};
        for (const [k, input] of Object.entries(inputs)) values[k] = input.value;
        finish(values);
      };
      const onCancel = (e) => { e.preventDefault(); finish(null); };
      form.addEventListener('submit', onSubmit);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
    });
  }

  // Confirms, performs, shows the result (or the server's error) and redraws the page.
  async function runAction(dialog, perform, describe) {
    const values = await confirmDialog(dialog);
    if (values === null) return;
    hideFlash();  // the previous action's result is not this one's
    try {
      const result = await perform(values);
      const [text, data] = describe(result, values);
      flash('ok', text, data);
    } catch (e) {
      if (e.status === 401) return;
      flash('error', t('action.failed', { message: e.message }));
    }
    await route();
  }

  function actionButton(action, label, onClick, extra) {
    return el('button', Object.assign({
      type: 'button', class: 'btn btn-small', dataset: { action }, onclick: onClick, text: label,
    }, extra || {}));
  }

  // ---------------------------------------------------------------------------------------------
  // Charts: SVG polylines over the history points; a null value breaks the line.
  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const e = 10 ** Math.floor(Math.log10(v));
    const m = v / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
  }

  function lineChart(points, series, format) {
    // About the panel's size at 1280 px: SVG text stays near the page's font size.
    const W = 380;
    const H = 150;
    const L = 50;
    const R = 10;
    const T = 8;
    const B = 20;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
    let ymax = 0;
    for (const s of series) {
      for (const p of points) if (typeof p[s.key] === 'number') ymax = Math.max(ymax, p[s.key]);
    }
    ymax = niceCeil(ymax);
    const t1 = points.length ? points[points.length - 1].t : Date.now() / 1000;
    const t0 = points.length ? Math.min(points[0].t, t1 - 10) : t1 - 60;
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => T + (1 - v / ymax) * (H - T - B);
    for (const f of [0, 0.5, 1]) {
      const yy = y(ymax * f);
      root.append(svg('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: 'grid-line' }));
      root.append(svg('text', { x: L - 6, y: yy + 3, 'text-anchor': 'end', class: 'axis-label' }, format(ymax * f)));
    }
    const withSeconds = t1 - t0 < 600;
    root.append(svg('text', { x: L, y: H - 6, class: 'axis-label' }, fmtClock(t0, withSeconds)));
    root.append(svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'axis-label' }, fmtClock(t1, withSeconds)));
    if (!points.length) {
      root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, t('overview.no_points')));
    }
    series.forEach((s, i) => {
      const cls = `s${i + 1}`;
      let run = [];
      const flush = () => {
        if (run.length === 1) {
          root.append(svg('circle', { cx: run[0][0], cy: run[0][1], r: 2.2, class: `dot ${cls}` }));
        } else if (run.length > 1) {
          const d = run.map(([px, py], j) => `${j ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`).join(' ');
          root.append(svg('path', { d, class: `series ${cls}` }));
        }
        run = [];
      };
      for (const p of points) {
        if (typeof p[s.key] === 'number') run.push([x(p.t), y(p[s.key])]);
        else flush();
      }
      flush();
    });
    const legend = el('div', { class: 'legend' }, series.map((s, i) => {
      let last = null;
      for (const p of points) if (typeof p[s.key] === 'number') last = p[s.key];
      return el('span', null, el('span', { class: `swatch s${i + 1}` }), `${s.label}: ${last === null ? '—' : format(last)}`);
    }));
    return el('div', null, root, legend);
  }

  // ---------------------------------------------------------------------------------------------
  // Pages. Each renders into ctx.main; ctx.alive() is false once another render started.
  function variantRows(health) {
    return ['primary', 'canary', 'shadow'].map((name) => {
      const v = health[name];
      return {
        attrs: { dataset: { variant: name } },
        cells: [
          t(`variant.${name}`),
          v ? [el('span', { class: 'mono', text: v.run_id || '—' }),
            // The model version is the run id for registered versions; shown when it differs.
            v.model_version && v.model_version !== v.run_id ? el('div', { class: 'muted mono', text: v.model_version }) : null]
            : el('span', { class: 'muted', text: t('overview.none_serving') }),
          v && typeof v.rollout === 'number' ? fmtPercent(v.rollout) : (v ? '100%' : ''),
        ],
      };
    });
  }

  function healthPanel(result) {
    if (result.error) return panel(t('overview.health'), null, errorText(result.error));
    const h = result.data;
    const store = h.store || {};
    const kinds = Object.entries(h.models || {}).filter(([, on]) => on).map(([k]) => badge(k));
    return panel(t('overview.health'), { id: 'health-panel' }, kv([
      [t('overview.status'), statusBadge(h.status)],
      [t('overview.models_loaded'), h.models_loaded ? t('common.yes') : t('common.no')],
      [t('overview.store'), [
        badge(store.ok ? t('overview.store_ok') : t('overview.store_down'), store.ok ? 'ok' : 'bad'),
        badge(store.writable ? t('overview.writable') : t('overview.read_only'), store.writable ? '' : 'warn'),
        store.message ? el('span', { class: 'muted', text: store.message }) : null,
      ]],
      [t('overview.model_kinds'), kinds.length ? kinds : t('common.none')],
      [t('overview.recs_algorithm'), h.recs_algorithm || '—'],
      [t('overview.snapshot'), el('span', { class: 'mono', text: h.snapshot_id || '—' })],
    ]));
  }

  function servingPanel(result) {
    if (result.error) return panel(t('overview.serving'), null, errorText(result.error));
    return panel(t('overview.serving'), { id: 'serving-panel' }, table(
      [t('overview.variant'), t('overview.run_id'), { label: t('overview.rollout'), num: true }],
      variantRows(result.data)));
  }

  function aliasPanel(result) {
    if (result.error) return panel(t('overview.aliases'), null, errorText(result.error));
    const rows = [];
    for (const v of result.data.versions || []) {
      for (const a of v.aliases || []) rows.push([aliasBadge(a), el('span', { class: 'mono', text: v.run_id })]);
    }
    return panel(t('overview.aliases'), { id: 'alias-panel' }, rows.length
      ? table([t('overview.alias'), t('overview.run_id')], rows)
      : emptyText(t('overview.no_registry')));
  }

  const CHARTS = [
    ['requests', 'overview.chart_requests', fmtRate, [
      ['requests_per_second', 'overview.series_requests'],
      ['recommendations_per_second', 'overview.series_recommendations']]],
    ['latency', 'overview.chart_latency', fmtMs, [
      ['recommend_p50_seconds', 'overview.series_p50'],
      ['recommend_p99_seconds', 'overview.series_p99']]],
    ['errors', 'overview.chart_errors', fmtRate, [['errors_per_second', 'overview.series_errors']]],
    ['error_ratio', 'overview.chart_error_ratio', fmtPercent, [['error_ratio', 'overview.series_error_ratio']]],
    ['degraded', 'overview.chart_degraded', fmtPercent, [['degraded_ratio', 'overview.series_degraded']]],
    ['feedback', 'overview.chart_feedback', fmtRate, [['feedback_per_second', 'overview.series_feedback']]],
  ];

  function historyCharts(result) {
    if (result.error) return [errorText(result.error)];
    const points = Array.isArray(result.data.points) ? result.data.points : [];
    return CHARTS.map(([id, title, format, series]) => panel(t(title), { dataset: { chart: id } },
      lineChart(points, series.map(([key, label]) => ({ key, label: t(label) })), format)));
  }

  function historyMeta(result) {
    if (result.error || !result.data) return '';
    return t('overview.history_meta', {
      interval: result.data.interval_seconds,
      hours: fmtNumber(Math.round((result.data.retention_seconds / 3600) * 10) / 10),
    });
  }

  async function renderOverview(ctx) {
    const cards = el('div', { class: 'grid', id: 'overview-cards' });
    const charts = el('div', { class: 'grid grid-charts', id: 'overview-charts' });
    const meta = el('span', { class: 'muted' });
    const windowSelect = el('select', {
      id: 'history-window',
      onchange: (e) => { state.historyMinutes = Number(e.target.value); quietly(refresh()); },
    }, HISTORY_WINDOWS.map((m) => el('option', { value: String(m), text: t(`overview.window_${m}`) })));
    windowSelect.value = String(state.historyMinutes);
    ctx.main.append(
      el('h1', { text: t('nav.overview') }), cards,
      el('div', { class: 'panel-head' }, el('h2', { text: t('overview.charts') }),
        el('div', { class: 'toolbar' }, meta, el('label', { class: 'toolbar' }, t('overview.window'), windowSelect))),
      charts);
    const refresh = async () => {
      const [health, history, models] = await Promise.all([
        tryApi('/health'),
        tryApi(`/api/v1/metrics/history?minutes=${state.historyMinutes}`),
        tryApi('/api/v1/models'),
      ]);
      if (!ctx.alive()) return;
      cards.replaceChildren(healthPanel(health), servingPanel(health), aliasPanel(models));
      charts.replaceChildren(...historyCharts(history));
      meta.textContent = historyMeta(history);
    };
    await refresh();
    state.timer = setInterval(() => { refresh().catch(() => {}); }, OVERVIEW_REFRESH_MS);
  }

  function feedbackTable(rows, onUser, onItem) {
    return table(
      [t('data.type'), t('data.user'), t('data.item'), { label: t('data.value'), num: true }, t('data.time'), t('data.comment')],
      rows.map((f) => [
        badge(f.FeedbackType),
        onUser ? el('a', { href: `#/data?user=${enc(f.UserId)}`, class: 'mono', text: f.UserId }) : el('span', { class: 'mono', text: f.UserId }),
        onItem ? el('a', { href: `#/data?item=${enc(f.ItemId)}`, class: 'mono', text: f.ItemId }) : el('span', { class: 'mono', text: f.ItemId }),
        fmtNumber(f.Value),
        timeEl(f.Timestamp),
        f.Comment || '',
      ]), { id: 'recent-feedback' });
  }

  function lookupForm(kind, onSubmit) {
    const input = el('input', { type: 'text', id: `lookup-${kind}-input`, placeholder: t(`data.${kind}_id`), required: true });
    const result = el('div', { id: `lookup-${kind}-result` });
    const form = el('form', {
      class: 'toolbar', id: `lookup-${kind}-form`,
      onsubmit: (e) => { e.preventDefault(); quietly(onSubmit(input.value.trim(), result)); },
    }, input, el('button', { type: 'submit', class: 'btn btn-primary', id: `lookup-${kind}-button`, text: t('data.lookup') }));
    return { form, input, result };
  }

  async function lookupUser(id, out) {
    if (!id) return;
    out.replaceChildren(el('p', { class: 'muted', text: t('common.loading') }));
    const [user, feedback] = await Promise.all([
      tryApi(`/api/user/${enc(id)}`), tryApi(`/api/user/${enc(id)}/feedback`)]);
    if (user.error) {
      out.replaceChildren(user.error.status === 404 ? emptyText(t('common.not_found', { id })) : errorText(user.error));
      return;
    }
    const u = user.data;
    const parts = [kv([
      [t('data.user_id'), el('span', { class: 'mono', dataset: { userId: u.UserId }, text: u.UserId })],
      [t('data.labels'), el('code', { text: fmtJson(u.Labels) })],
      [t('data.comment'), u.Comment || '—'],
    ]), el('p', null, el('a', { href: `#/preview?user=${enc(u.UserId)}`, text: t('data.preview_link') }))];
    if (feedback.error) {
      parts.push(errorText(feedback.error));
    } else {
      const rows = [...feedback.data].sort((a, b) => String(b.Timestamp).localeCompare(String(a.Timestamp)));
      parts.push(el('h3', { text: t('data.user_feedback', { count: rows.length }) }),
        rows.length ? feedbackTable(rows.slice(0, 10), false, true) : emptyText(t('data.no_feedback')));
    }
    out.replaceChildren(...parts);
  }

  async function lookupItem(id, out) {
    if (!id) return;
    out.replaceChildren(el('p', { class: 'muted', text: t('common.loading') }));
    const [item, neighbors] = await Promise.all([
      tryApi(`/api/item/${enc(id)}`), tryApi(`/api/item/${enc(id)}/neighbors?n=5`)]);
    if (item.error) {
      out.replaceChildren(item.error.status === 404 ? emptyText(t('common.not_found', { id })) : errorText(item.error));
      return;
    }
    const it = item.data;
    const parts = [kv([
      [t('data.item_id'), el('span', { class: 'mono', dataset: { itemId: it.ItemId }, text: it.ItemId })],
      [t('data.hidden'), it.IsHidden ? t('common.yes') : t('common.no')],
      [t('data.categories'), (it.Categories || []).length ? it.Categories.map((c) => badge(c)) : '—'],
      [t('data.time'), timeEl(it.Timestamp)],
      [t('data.labels'), el('code', { text: fmtJson(it.Labels) })],
      [t('data.comment'), it.Comment || '—'],
    ]), el('h3', { text: t('data.neighbors') })];
    if (neighbors.error) parts.push(errorText(neighbors.error));
    else if (!neighbors.data.length) parts.push(emptyText(t('data.no_neighbors')));
    else {
      parts.push(table([t('data.item'), { label: t('data.score'), num: true }], neighbors.data.map((n) => [
        el('a', { href: `#/data?item=${enc(n.Id)}`, class: 'mono', text: n.Id }), fmtNumber(n.Score)])));
    }
    out.replaceChildren(...parts);
  }

  async function renderData(ctx) {
    const summary = await tryApi('/api/v1/data/summary?recent=20');
    if (!ctx.alive()) return;
    const user = lookupForm('user', lookupUser);
    const item = lookupForm('item', lookupItem);
    let counts;
    let recent;
    if (summary.error) {
      counts = errorText(summary.error);
      recent = errorText(summary.error);
    } else {
      const s = summary.data;
      counts = el('div', { class: 'stats', id: 'data-counts' }, [['users', s.users], ['items', s.items], ['feedback', s.feedback]].map(
        ([k, n]) => el('div', { dataset: { count: k } }, el('div', { class: 'stat', text: fmtNumber(n) }), el('div', { class: 'stat-label', text: t(`data.${k}`) }))));
      recent = s.recent_feedback && s.recent_feedback.length
        ? feedbackTable(s.recent_feedback, true, true) : emptyText(t('data.no_feedback'));
    }
    ctx.main.append(
      el('h1', { text: t('nav.data') }),
      panel(t('data.counts'), null, counts),
      el('div', { class: 'grid grid-2' },
        panel(t('data.lookup_user'), null, user.form, user.result),
        panel(t('data.lookup_item'), null, item.form, item.result)),
      panel(t('data.recent'), null, recent));
    const pending = [];
    if (ctx.params.get('user')) {
      user.input.value = ctx.params.get('user');
      pending.push(lookupUser(user.input.value, user.result));
    }
    if (ctx.params.get('item')) {
      item.input.value = ctx.params.get('item');
      pending.push(lookupItem(item.input.value, item.result));
    }
    await Promise.all(pending);
  }

  function previewResult(p) {
    const degraded = (p.degraded || []).map((r) => badge(tOr('degraded', r), 'warn'));
    const items = p.items || [];
    const history = p.history || [];
    return [
      kv([
        [t('preview.user'), el('span', { class: 'mono', text: p.user_id })],
        [t('preview.known_user'), p.known_user ? t('common.yes') : t('common.no')],
        [t('preview.variant'), badge(tOr('variant', p.variant), p.variant === 'canary' ? 'warn' : 'ok')],
        [t('overview.model_version'), el('span', { class: 'mono', text: p.model_version || '—' })],
        [t('preview.degraded'), el('span', { id: 'preview-degraded' }, degraded.length ? degraded : t('preview.not_degraded'))],
      ], { id: 'preview-summary' }),
      el('h3', { text: t('preview.items') }),
      items.length ? table(
        [{ label: t('preview.rank'), num: true }, t('data.item'), { label: t('data.score'), num: true }, t('preview.source'),
          t('data.categories'), t('data.labels'), t('data.time'), t('data.comment')],
        items.map((r, i) => ({
          attrs: { dataset: { itemId: r.id, source: r.source } },
          cells: [
            String(i + 1),
            el('a', { href: `#/data?item=${enc(r.id)}`, class: 'mono', text: r.id }),
            fmtNumber(r.score),
            badge(tOr('source', r.source), 'accent'),
            r.item ? (r.item.Categories || []).map((c) => badge(c)) : el('span', { class: 'muted', text: t('preview.missing_item') }),
            r.item ? el('code', { text: fmtJson(r.item.Labels) }) : '',
            r.item ? timeEl(r.item.Timestamp) : '',
            r.item ? r.item.Comment || '' : '',
          ],
        })), { id: 'preview-items' }) : emptyText(t('preview.no_items')),
      el('h3', { text: t('preview.history') }),
      history.length ? table([t('data.type'), t('data.item'), t('data.time')], history.map((f) => [
        badge(f.FeedbackType), el('span', { class: 'mono', text: f.ItemId }), timeEl(f.Timestamp)]), { id: 'preview-history' })
        : emptyText(t('preview.no_history')),
    ];
  }

  async function renderPreview(ctx) {
    const user = el('input', { type: 'text', id: 'preview-user', required: true, value: ctx.params.get('user') || '' });
    const n = el('input', { type: 'number', id: 'preview-n', min: 1, max: 100, value: ctx.params.get('n') || '10' });
    const category = el('input', { type: 'text', id: 'preview-category', value: ctx.params.get('category') || '' });
    const out = el('div', { id: 'preview-result' });
    const show = async () => {
      const id = user.value.trim();
      if (!id) { out.replaceChildren(emptyText(t('preview.enter_user'))); return; }
      const query = new URLSearchParams({ n: n.value || '10' });
      if (category.value.trim()) query.set('category', category.value.trim());
      history.replaceState(null, '', `#/preview?user=${enc(id)}&${query}`);
      out.replaceChildren(el('p', { class: 'muted', text: t('common.loading') }));
      const r = await tryApi(`/api/v1/preview/${enc(id)}?${query}`);
      if (!ctx.alive()) return;
      out.replaceChildren(...(r.error ? [errorText(r.error)] : previewResult(r.data)));
      out.dataset.userId = id;
    };
    const form = el('form', { class: 'toolbar', id: 'preview-form', onsubmit: (e) => { e.preventDefault(); quietly(show()); } },
      el('label', { class: 'field' }, t('preview.user'), user),
      el('label', { class: 'field' }, t('preview.n'), n),
      el('label', { class: 'field' }, t('preview.category'), category),
      el('button', { type: 'submit', class: 'btn btn-primary', id: 'preview-submit', text: t('preview.submit') }));
    const recent = el('div', { class: 'toolbar', id: 'preview-recent-users' });
    ctx.main.append(el('h1', { text: t('preview.title') }), el('p', { class: 'muted', text: t('preview.hint') }),
      panel(t('preview.pick'), null, form, recent), panel(t('preview.result'), null, out));
    const pick = async () => {
      // The users of the newest feedback, to pick from.
      const summary = await tryApi('/api/v1/data/summary?recent=50');
      if (!ctx.alive() || summary.error) return;
      const ids = [...new Set((summary.data.recent_feedback || []).map((f) => f.UserId))].slice(0, 12);
      if (!ids.length) return;
      recent.replaceChildren(el('span', { class: 'muted', text: t('preview.recent_users') }), ...ids.map((id) => el('button', {
        type: 'button', class: 'btn btn-small mono', dataset: { pickUser: id }, text: id,
        onclick: () => { user.value = id; quietly(show()); },
      })));
    };
    await Promise.all([pick(), user.value ? show() : null]);
  }

  function promoteAction(v, alias) {
    const withRollout = alias !== 'production';
    const key = alias === 'production' ? 'promote' : alias;
    return () => runAction({
      title: t(`models.confirm_${key}_title`),
      message: t(`models.confirm_${key}`, { run: v.run_id }),
      fields: withRollout ? [{ name: 'rollout', label: t('models.rollout_share'), type: 'number', value: '0.1', min: '0.01', max: '1', step: '0.01' }] : [],
      danger: alias === 'production',
    }, (values) => {
      const body = { run_id: v.run_id, alias };
      if (withRollout) body.rollout = Number(values.rollout);
      return api('POST', '/api/v1/models/promote', body);
    }, (r) => [t('models.promoted', { run: r.run_id || v.run_id, alias }), { runId: r.run_id || v.run_id }]);
  }

  function rollbackAction(previous) {
    return () => runAction({
      title: t('models.confirm_rollback_title'),
      message: t('models.confirm_rollback', { run: previous.run_id }),
      danger: true,
    }, () => api('POST', '/api/v1/models/rollback', {}),
    (r) => [t('models.rolled_back', { run: r.run_id }), { runId: r.run_id }]);
  }

  function withdrawAction(alias, runId) {
    const name = tOr('variant', alias);
    return () => runAction({
      title: t('models.confirm_withdraw_title', { alias: name }),
      message: t('models.confirm_withdraw', { run: runId, alias: name }),
      danger: true,
    }, () => api('POST', '/api/v1/models/withdraw', { alias }),
    () => [t('models.withdrawn', { alias: name }), { alias }]);
  }

  function servingSection(health, versions) {
    if (health.error) return panel(t('models.serving'), null, errorText(health.error));
    const rows = variantRows(health.data);
    if (canAct()) {
      rows.forEach((row, i) => {
        const name = ['primary', 'canary', 'shadow'][i];
        const v = health.data[name];
        row.cells.push(name !== 'primary' && v
          ? actionButton(`withdraw-${name}`, t('models.withdraw'), withdrawAction(name, v.run_id)) : '');
      });
    }
    const headers = [t('overview.variant'), t('overview.run_id'), { label: t('overview.rollout'), num: true }];
    if (canAct()) headers.push(t('models.actions'));
    const previous = versions.find((v) => (v.aliases || []).includes('previous'));
    const tools = [];
    if (canAct()) {
      tools.push(previous
        ? actionButton('rollback', `${t('models.rollback')} (${previous.run_id})`, rollbackAction(previous), { class: 'btn btn-danger btn-small' })
        : el('span', { class: 'muted', text: t('models.rollback_none') }));
    }
    return panel(t('models.serving'), { id: 'models-serving' }, table(headers, rows), el('div', { class: 'toolbar' }, tools));
  }

  function metricsCell(metrics) {
    const entries = Object.entries(metrics || {});
    if (!entries.length) return el('span', { class: 'muted', text: '—' });
    const shown = entries.filter(([k]) => !k.includes('seconds')).slice(0, 3);
    return el('div', null,
      shown.map(([k, v]) => el('div', { class: 'mono', text: `${k} = ${fmtNumber(v)}` })),
      el('details', null, el('summary', { text: t('models.metrics_more', { count: entries.length }) }), renderJson(metrics)));
  }

  function versionRow(v) {
    const aliases = v.aliases || [];
    const cells = [
      el('span', { class: 'mono', text: v.run_id }),
      timeEl(v.created),
      v.algorithm || '—',
      aliases.length ? aliases.map(aliasBadge) : '',
      metricsCell(v.metrics),
    ];
    if (canAct()) {
      cells.push(aliases.includes('production') ? '' : el('div', { class: 'actions' },
        actionButton('promote', t('models.promote'), promoteAction(v, 'production')),
        actionButton('canary', t('models.canary'), promoteAction(v, 'canary')),
        actionButton('shadow', t('models.shadow'), promoteAction(v, 'shadow'))));
    }
    return { attrs: { dataset: { runId: v.run_id, aliases: aliases.join(' ') } }, cells };
  }

  async function renderModels(ctx) {
    const [health, models, runs] = await Promise.all([
      tryApi('/health'), tryApi('/api/v1/models'), tryApi('/api/v1/runs?limit=20')]);
    if (!ctx.alive()) return;
    const versions = models.error ? [] : (models.data.versions || []);
    const headers = [t('overview.run_id'), t('models.created'), t('models.algorithm'), t('models.aliases'), t('models.metrics')];
    if (canAct()) headers.push(t('models.actions'));
    let registry;
    if (models.error) registry = errorText(models.error);
    else if (!versions.length) registry = emptyText(t('models.no_versions'));
    else registry = table(headers, [...versions].reverse().map(versionRow), { id: 'model-versions' });
    let runList;
    if (runs.error) runList = errorText(runs.error);
    else if (!(runs.data.runs || []).length) runList = emptyText(t('models.no_runs'));
    else {
      runList = table([t('overview.run_id'), t('models.status'), t('models.started'), { label: t('models.duration'), num: true }, t('models.algorithm'), t('models.error')],
        [...runs.data.runs].reverse().map((r) => [el('span', { class: 'mono', text: r.run_id }), statusBadge(r.status), timeEl(r.started),
          typeof r.duration_seconds === 'number' ? `${fmtNumber(r.duration_seconds)} s` : '—', r.algorithm || '—', r.error || '']));
    }
    ctx.main.append(el('h1', { text: t('nav.models') }), servingSection(health, versions),
      panel(t('models.registry'), null, registry), panel(t('models.runs'), null, runList));
  }

  function runJobAction(job) {
    return () => runAction({
      title: t('jobs.confirm_run_title', { job }),
      message: t('jobs.confirm_run', { job }),
    }, () => api('POST', `/api/v1/jobs/${enc(job)}/run`, {}),
    (r) => [t('jobs.queued', { id: r.run_id, job: r.job || job }), { runId: String(r.run_id), job: r.job || job }]);
  }

  function startPipelineAction() {
    return runAction({
      title: t('pipeline.confirm_title'),
      message: t('pipeline.confirm'),
      fields: [
        { name: 'mode', label: t('pipeline.mode'), type: 'select', value: 'primary', options: [
          { value: 'primary', label: t('pipeline.mode_primary') }, { value: 'canary', label: t('pipeline.mode_canary') }] },
        { name: 'rollout', label: t('pipeline.rollout'), type: 'number', value: '0.1', min: '0.01', max: '1', step: '0.01', showIf: ['mode', 'canary'] },
      ],
    }, (values) => api('POST', '/api/v1/pipeline/runs',
      values.mode === 'canary' ? { mode: 'canary', rollout: Number(values.rollout) } : {}),
    (r) => [t('pipeline.started', { id: r.run_id }), { runId: r.run_id }]);
  }

  function scheduleSection(result) {
    if (result.error) return [errorText(result.error)];
    const s = result.data;
    const headers = [t('jobs.name'), t('jobs.cron'), t('jobs.next_run'), t('jobs.last_run')];
    if (canAct()) headers.push(t('models.actions'));
    const rows = (s.jobs || []).map((j) => {
      const cells = [el('span', { class: 'mono', text: j.name }), el('code', { text: j.cron }), timeEl(j.next_run),
        j.last_run ? [statusBadge(j.last_run.status), ' ', timeEl(j.last_run.end || j.last_run.start || j.last_run.created)] : '—'];
      if (canAct()) cells.push(actionButton('run-job', t('jobs.run_now'), runJobAction(j.name), { 'data-job': j.name }));
      return { attrs: { dataset: { job: j.name } }, cells };
    });
    return [
      kv([[t('jobs.leader'), s.leader || '—'], [t('jobs.is_leader'), s.is_leader ? t('common.yes') : t('common.no')],
        [t('jobs.lease_expires'), timeEl(s.lease_expires)]]),
      rows.length ? table(headers, rows, { id: 'job-schedule' }) : emptyText(t('jobs.no_jobs')),
    ];
  }

  function jobRunsSection(result) {
    if (result.error) return [errorText(result.error)];
    if (!result.data.length) return [emptyText(t('jobs.no_runs'))];
    return [table(
      [{ label: t('jobs.id'), num: true }, t('jobs.name'), t('jobs.trigger'), t('models.status'), { label: t('jobs.attempts'), num: true },
        t('jobs.created'), t('jobs.start'), t('jobs.end'), t('jobs.error')],
      result.data.map((r) => ({
        attrs: { dataset: { runId: String(r.id), job: r.job, status: r.status } },
        cells: [String(r.id), el('span', { class: 'mono', text: r.job }), r.trigger, statusBadge(r.status), String(r.attempts),
          timeEl(r.created), timeEl(r.start), timeEl(r.end), r.error || ''],
      })), { id: 'job-runs' })];
  }

  async function showTaskLog(out, runId, task) {
    out.replaceChildren(el('h3', { text: t('pipeline.log_of', { task, run: runId }) }), el('p', { class: 'muted', text: t('common.loading') }));
    const r = await tryApi(`/api/v1/pipeline/runs/${enc(runId)}/tasks/${enc(task)}/log?tail_bytes=65536`);
    const body = r.error ? errorText(r.error)
      : el('pre', { class: 'log', id: 'task-log', text: String(r.data) === '' ? t('pipeline.log_empty') : String(r.data) });
    out.replaceChildren(el('h3', { text: t('pipeline.log_of', { task, run: runId }) }), body);
  }

  function pipelineRun(run, logOut) {
    const head = kv([
      [t('models.status'), statusBadge(run.status)],
      [t('pipeline.date'), run.date || '—'],
      [t('jobs.trigger'), (run.request && run.request.trigger) || '—'],
      [t('jobs.start'), timeEl(run.start)], [t('jobs.end'), timeEl(run.end)],
      [t('pipeline.published'), run.published ? t('common.yes') : t('common.no')],
      [t('pipeline.reason'), run.reason || '—'],
    ]);
    const tasks = table(
      [t('pipeline.task'), t('models.status'), t('jobs.start'), t('jobs.end'), { label: t('jobs.attempts'), num: true }, t('pipeline.message'), t('pipeline.log')],
      (run.tasks || []).map((task) => ({
        attrs: { dataset: { task: task.name, status: task.status } },
        cells: [el('span', { class: 'mono', text: task.name }), statusBadge(task.status), timeEl(task.start), timeEl(task.end),
          String(task.attempts), task.message || '',
          task.log_file ? el('button', { type: 'button', class: 'btn btn-small', dataset: { log: task.name }, text: t('pipeline.show_log'),
            onclick: () => quietly(showTaskLog(logOut, run.run_id, task.name)) }) : ''],
      })));
    return el('details', { class: 'pipeline-run', dataset: { runId: run.run_id, status: run.status } },
      el('summary', null, el('span', { class: 'mono', text: t('pipeline.run', { id: run.run_id }) }), ' ', statusBadge(run.status)),
      head, tasks);
  }

  function pipelineSection(result, logOut) {
    if (result.error) return [errorText(result.error)];
    const runs = result.data.runs || [];
    if (!runs.length) return [emptyText(t('pipeline.no_runs'))];
    const blocks = runs.map((r) => pipelineRun(r, logOut));
    blocks[0].open = true;
    return blocks;
  }

  async function renderJobs(ctx) {
    const schedule = el('div', { id: 'jobs-schedule' });
    const runs = el('div', { id: 'jobs-runs' });
    const pipes = el('div', { id: 'pipeline-runs' });
    const logOut = el('div', { id: 'pipeline-log' }, el('p', { class: 'muted', text: t('pipeline.log_hint') }));
    const openRuns = new Set();
    const refresh = async () => {
      const [jobs, jobRuns, pipeRuns] = await Promise.all([
        tryApi('/api/v1/jobs'), tryApi('/api/v1/jobs/runs?n=20'), tryApi('/api/v1/pipeline/runs?n=10')]);
      if (!ctx.alive()) return false;
      for (const d of pipes.querySelectorAll('details[open]')) openRuns.add(d.dataset.runId);
      schedule.replaceChildren(...scheduleSection(jobs));
      runs.replaceChildren(...jobRunsSection(jobRuns));
      pipes.replaceChildren(...pipelineSection(pipeRuns, logOut));
      for (const d of pipes.querySelectorAll('details')) if (openRuns.has(d.dataset.runId)) d.open = true;
      const active = (s) => ['queued', 'running', 'pending'].includes(s);
      return (!jobRuns.error && jobRuns.data.some((r) => active(r.status)))
        || (!pipeRuns.error && (pipeRuns.data.runs || []).some((r) => active(r.status)));
    };
    const pipelineTools = canAct()
      ? actionButton('start-pipeline', t('pipeline.start'), startPipelineAction, { class: 'btn btn-primary btn-small' }) : null;
    const pipelinePanel = panel(t('pipeline.title'), null, pipes);
    if (pipelineTools) pipelinePanel.querySelector('.panel-head').append(pipelineTools);
    ctx.main.append(el('h1', { text: t('nav.jobs') }), panel(t('jobs.schedule'), null, schedule),
      panel(t('jobs.runs'), null, runs), pipelinePanel, panel(t('pipeline.log'), null, logOut));
    const schedule_next = (active) => {
      if (!ctx.alive()) return;
      state.timer = setTimeout(async () => {
        let next = false;
        try { next = await refresh(); } catch (e) { next = false; }
        schedule_next(next);
      }, active ? JOBS_REFRESH_ACTIVE_MS : JOBS_REFRESH_IDLE_MS);
    };
    schedule_next(await refresh());
  }

  function modifiedNote(iso) {
    return iso ? el('p', { class: 'muted', text: t('evaluation.modified', { time: fmtTime(iso) }) }) : null;
  }

  async function renderEvaluation(ctx) {
    const ev = await tryApi('/api/v1/evaluation');
    if (!ctx.alive()) return;
    ctx.main.append(el('h1', { text: t('nav.evaluation') }));
    if (ev.error) { ctx.main.append(panel(t('nav.evaluation'), null, errorText(ev.error))); return; }
    const e = ev.data;
    const fileOut = el('div', { id: 'reconciliation-file' });
    const recs = e.reconciliations || [];
    ctx.main.append(
      panel(t('evaluation.summary'), { id: 'evaluation-summary' }, modifiedNote(e.summary_modified),
        e.summary ? renderJson(e.summary) : emptyText(t('evaluation.no_summary'))),
      panel(t('evaluation.exposure'), { id: 'evaluation-exposure' }, modifiedNote(e.exposure_metrics_modified),
        e.exposure_metrics ? renderJson(e.exposure_metrics) : emptyText(t('evaluation.no_exposure'))),
      panel(t('evaluation.reconciliations'), { id: 'evaluation-reconciliations' },
        recs.length ? table([t('evaluation.date'), t('evaluation.modified_col'), ''], recs.map((r) => [
          r.date, timeEl(r.modified),
          el('button', { type: 'button', class: 'btn btn-small', dataset: { date: r.date }, text: t('evaluation.open'), onclick: () => quietly((async () => {
            const f = await tryApi(`/api/v1/evaluation/reconciliation/${enc(r.date)}`);
            fileOut.replaceChildren(el('h3', { text: t('evaluation.file', { date: r.date }) }), f.error ? errorText(f.error) : renderJson(f.data));
          })()) })])) : emptyText(t('evaluation.no_reconciliations')),
        fileOut));
  }

  // ---------------------------------------------------------------------------------------------
  // Login, chrome and routing.
  function renderLogin(main) {
    const input = el('input', { type: 'password', id: 'login-token', autocomplete: 'current-password', required: true });
    const error = el('p', { id: 'login-error', class: 'error-text', hidden: true });
    const button = el('button', { type: 'submit', id: 'login-submit', class: 'btn btn-primary', text: t('login.submit') });
    const form = el('form', {
      id: 'login-form',
      onsubmit: async (e) => {
        e.preventDefault();
        button.disabled = true;
        error.hidden = true;
        try {
          await api('POST', '/console/login', { token: input.value }, { loginCall: true });
          input.value = '';
          await loadSession();
          await route();
        } catch (err) {
          error.textContent = t('login.failed', { message: err.message });
          error.hidden = false;
          button.disabled = false;
          input.select();
        }
      },
    }, el('label', { class: 'field', for: 'login-token' }, t('login.token'), input), error, button);
    main.append(el('section', { class: 'panel login' }, el('h1', { text: t('login.title') }),
      el('p', { class: 'muted', text: t('login.hint') }), form));
    input.focus();
  }

  function renderChrome(page) {
    document.documentElement.lang = state.lang;
    $('#brand-title').textContent = t('brand.title');
    $('#lang-label').textContent = t('lang.label');
    $('#lang-select').value = state.lang;
    $('#confirm-ok').textContent = t('dialog.confirm');
    $('#confirm-cancel').textContent = t('dialog.cancel');
    const s = state.session;
    const showNav = Boolean(s) && !needsLogin();
    $('#nav').replaceChildren(...(showNav ? PAGES.map((p) => el('a', {
      href: `#/${p}`, class: p === page ? 'active' : null, dataset: { nav: p }, text: t(`nav.${p}`),
    })) : []));
    $('#server-version').textContent = s && s.server_version ? `reco ${s.server_version}` : '';
    const logout = $('#logout');
    logout.textContent = t('logout');
    logout.hidden = !(s && s.auth_required && s.logged_in);
    const banner = $('#banner');
    banner.hidden = !(showNav && !s.can_act);
    banner.textContent = showNav && !s.can_act ? t('banner.read_only', { reason: s.read_only_reason || '' }) : '';
  }

  function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const q = h.indexOf('?');
    const name = q < 0 ? h : h.slice(0, q);
    return {
      page: PAGES.includes(name) ? name : 'overview',
      params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)),
    };
  }

  const RENDERERS = {
    overview: renderOverview, data: renderData, preview: renderPreview,
    models: renderModels, jobs: renderJobs, evaluation: renderEvaluation,
  };

  function stopTimer() {
    if (state.timer) {
      clearTimeout(state.timer);
      clearInterval(state.timer);
      state.timer = 0;
    }
  }

  async function route() {
    stopTimer();
    const seq = ++state.renderSeq;
    const { page, params } = parseHash();
    const main = $('#main');
    main.replaceChildren();
    main.dataset.state = 'loading';
    renderChrome(page);
    if (!state.session) {
      main.append(el('section', { class: 'panel' }, el('p', { class: 'error-text', id: 'fatal', text: state.fatal })));
      main.dataset.page = 'error';
      main.dataset.state = 'error';
      return;
    }
    if (needsLogin()) {
      main.dataset.page = 'login';
      document.title = `${t('login.submit')} · reco`;
      renderLogin(main);
      main.dataset.state = 'ready';
      return;
    }
    main.dataset.page = page;
    document.title = `${t(`nav.${page}`)} · reco`;
    const ctx = { main, params, alive: () => seq === state.renderSeq };
    try {
      await RENDERERS[page](ctx);
      if (ctx.alive()) main.dataset.state = 'ready';
    } catch (e) {
      if (!ctx.alive() || e.status === 401) return;
      main.append(errorText(e));
      main.dataset.state = 'error';
    }
  }

  async function logout() {
    try {
      await api('POST', '/console/logout', {});
    } catch (e) {
      if (e.status !== 401) flash('error', t('action.failed', { message: e.message }));
    }
    hideFlash();
    await loadSession();
    await route();
  }

  async function boot() {
    state.lang = initialLang();
    $('#lang-select').addEventListener('change', (e) => {
      state.lang = I18N[e.target.value] ? e.target.value : 'en';
      localStorage.setItem(LANG_KEY, state.lang);
      hideFlash();
      route();
    });
    $('#logout').addEventListener('click', logout);
    window.addEventListener('hashchange', () => { hideFlash(); route(); });
    renderChrome(parseHash().page);
    await loadSession();
    await route();
  }

  boot();
})();
