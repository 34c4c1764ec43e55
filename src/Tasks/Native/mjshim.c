// Thin C layer between .NET and MuJoCo 2.2.2 (docs/design.md, "Tasks").
//
// Why a shim: MuJoCo's default error handler prints "Press Enter", blocks on getchar and exits; a .NET exception
// cannot unwind through native frames, and an error handler that simply returns leaves the engine in a corrupt state.
// So every entry point runs under a thread-local setjmp, the error hook longjmps back to it, and the caller gets -1
// and the message. Warnings (e.g. bad qacc, after which MuJoCo resets the state itself) are counted, not printed.
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mujoco/mujoco.h>

#define MJS_EXPORT __attribute__((visibility("default")))
#define MJS_MESSAGE 1024

static _Thread_local jmp_buf* guard;
static _Thread_local char last_message[MJS_MESSAGE];

static void copy_message(const char* msg) {
  snprintf(last_message, sizeof last_message, "%s", msg ? msg : "(no message)");
}

static void on_error(const char* msg) {
  copy_message(msg);
  if (guard) longjmp(*guard, 1);
  // An engine call outside a guard is a bug in this file; dying loudly beats MuJoCo's getchar-and-exit.
  fprintf(stderr, "mjshim: unguarded MuJoCo error: %s\n", last_message);
  abort();
}

static void on_warning(const char* msg) { copy_message(msg); }

// Hooks are process-wide globals in MuJoCo: set them once, before any thread can call in.
__attribute__((constructor)) static void install_hooks(void) {
  mju_user_error = on_error;
  mju_user_warning = on_warning;
}

#define GUARDED(fail_value, body)        \
  do {                                   \
    jmp_buf here;                        \
    jmp_buf* outer = guard;              \
    if (setjmp(here)) {                  \
      guard = outer;                     \
      return fail_value;                 \
    }                                    \
    guard = &here;                       \
    body;                                \
    guard = outer;                       \
  } while (0)

MJS_EXPORT int mjs_version(void) { return mj_version(); }

// Copies the last error or warning text of the calling thread into buffer (always NUL-terminated).
MJS_EXPORT void mjs_last_message(char* buffer, int size) {
  if (size <= 0) return;
  snprintf(buffer, (size_t)size, "%s", last_message);
}

static mjModel* load(const char* path, const mjVFS* vfs, char* error, int error_size) {
  mjModel* model = NULL;
  error[0] = 0;
  GUARDED(NULL, model = mj_loadXML(path, vfs, error, error_size));
  return model;
}

// Loads an MJCF file. Returns NULL and MuJoCo's own error text on failure.
MJS_EXPORT mjModel* mjs_load_path(const char* path, char* error, int error_size) {
  mjModel* model = load(path, NULL, error, error_size);
  if (!model && !error[0]) snprintf(error, (size_t)error_size, "%s", last_message);
  return model;
}

// Loads an MJCF document held in memory (through a one-file virtual file system).
MJS_EXPORT mjModel* mjs_load_string(const char* xml, char* error, int error_size) {
  // mjVFS is ~2 MB of fixed-size name buffers: keep it off the stack.
  mjVFS* vfs = (mjVFS*)malloc(sizeof(mjVFS));
  if (!vfs) {
    snprintf(error, (size_t)error_size, "out of memory");
    return NULL;
  }
  mj_defaultVFS(vfs);
  const char* name = "model.xml";
  int length = (int)strlen(xml);
  mjModel* model = NULL;
  if (mj_makeEmptyFileVFS(vfs, name, length) != 0) {
    snprintf(error, (size_t)error_size, "could not create the in-memory model file");
  } else {
    memcpy(vfs->filedata[mj_findFileVFS(vfs, name)], xml, (size_t)length);
    model = load(name, vfs, error, error_size);
    if (!model && !error[0]) snprintf(error, (size_t)error_size, "%s", last_message);
  }
  mj_deleteVFS(vfs);
  free(vfs);
  return model;
}

MJS_EXPORT void mjs_free_model(mjModel* model) {
  if (model) GUARDED(, mj_deleteModel(model));
}

MJS_EXPORT mjData* mjs_make_data(const mjModel* model) {
  mjData* data = NULL;
  GUARDED(NULL, data = mj_makeData(model));
  return data;
}

MJS_EXPORT void mjs_free_data(mjData* data) {
  if (data) GUARDED(, mj_deleteData(data));
}

// Sizes the managed side needs: nq, nv, nu, nbody, njnt, nsite, ngeom.
MJS_EXPORT void mjs_sizes(const mjModel* m, int* sizes) {
  sizes[0] = m->nq;
  sizes[1] = m->nv;
  sizes[2] = m->nu;
  sizes[3] = m->nbody;
  sizes[4] = m->njnt;
  sizes[5] = m->nsite;
  sizes[6] = m->ngeom;
}

MJS_EXPORT double mjs_timestep(const mjModel* m) { return m->opt.timestep; }

// Copies actuator control ranges as (low, high) pairs; unlimited actuators get (-inf, inf).
MJS_EXPORT void mjs_ctrl_range(const mjModel* m, double* range) {
  for (int i = 0; i < m->nu; i++) {
    int limited = m->actuator_ctrllimited[i];
    range[2 * i] = limited ? m->actuator_ctrlrange[2 * i] : -INFINITY;
    range[2 * i + 1] = limited ? m->actuator_ctrlrange[2 * i + 1] : INFINITY;
  }
}

// Index of a named object (mjtObj type), or -1.
MJS_EXPORT int mjs_name_to_id(const mjModel* m, int type, const char* name) { return mj_name2id(m, type, name); }

static int has_bad_state(const mjModel* m, const mjData* d) {
  for (int i = 0; i < m->nq; i++)
    if (!isfinite(d->qpos[i])) return 1;
  for (int i = 0; i < m->nv; i++)
    if (!isfinite(d->qvel[i])) return 1;
  return 0;
}

static int instability_count(const mjData* d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number;
}

// Resets to the model's reference state, then adds the given offsets to qpos and qvel (either may be NULL),
// and recomputes derived quantities. Returns 0, or -1 on an engine error.
MJS_EXPORT int mjs_reset(const mjModel* m, mjData* d, const double* qpos_offset, const double* qvel_offset) {
  GUARDED(-1, {
    mj_resetData(m, d);
    if (qpos_offset)
      for (int i = 0; i < m->nq; i++) d->qpos[i] += qpos_offset[i];
    if (qvel_offset)
      for (int i = 0; i < m->nv; i++) d->qvel[i] += qvel_offset[i];
    mj_forward(m, d);
  });
  return 0;
}

// Sets qpos and qvel exactly and recomputes derived quantities (for tests and hand-set states).
MJS_EXPORT int mjs_set_state(const mjModel* m, mjData* d, const double* qpos, const double* qvel) {
  GUARDED(-1, {
    memcpy(d->qpos, qpos, sizeof(double) * (size_t)m->nq);
    memcpy(d->qvel, qvel, sizeof(double) * (size_t)m->nv);
    mj_forward(m, d);
  });
  return 0;
}

// Sets ctrl and advances `substeps` physics steps. Extras (bit flags): 1 computes cfrc_ext afterwards (MuJoCo leaves
// it zero unless mj_rnePostConstraint runs); 2 recomputes positions (xpos, site_xpos) for the new qpos, which
// mj_step otherwise leaves as of the start of its last substep. Returns 0 on success, 1 when the state became unstable
// (NaN/Inf, or MuJoCo's bad qpos/qvel/qacc warning, after which MuJoCo has reset the state itself: end the episode),
// -1 on an engine error (call mjs_reset before using the data again).
MJS_EXPORT int mjs_step(const mjModel* m, mjData* d, const double* ctrl, int substeps, int extras) {
  int before = instability_count(d);
  int unstable = 0;
  GUARDED(-1, {
    memcpy(d->ctrl, ctrl, sizeof(double) * (size_t)m->nu);
    for (int k = 0; k < substeps && !unstable; k++) {
      mj_step(m, d);
      unstable = instability_count(d) != before || has_bad_state(m, d);
    }
    if ((extras & 1) && !unstable) mj_rnePostConstraint(m, d);
    if ((extras & 2) && !unstable) mj_kinematics(m, d);
  });
  return unstable;
}

// Copies qpos (nq) and qvel (nv).
MJS_EXPORT void mjs_get_state(const mjModel* m, const mjData* d, double* qpos, double* qvel) {
  memcpy(qpos, d->qpos, sizeof(double) * (size_t)m->nq);
  memcpy(qvel, d->qvel, sizeof(double) * (size_t)m->nv);
}

// Copies the world position (3 values) of every body, nbody x 3.
MJS_EXPORT void mjs_body_positions(const mjModel* m, const mjData* d, double* xpos) {
  memcpy(xpos, d->xpos, sizeof(double) * 3 * (size_t)m->nbody);
}

// Copies the world position of every site, nsite x 3.
MJS_EXPORT void mjs_site_positions(const mjModel* m, const mjData* d, double* xpos) {
  memcpy(xpos, d->site_xpos, sizeof(double) * 3 * (size_t)m->nsite);
}

// Copies external contact forces per body (cfrc_ext, nbody x 6; valid after a step with contact_forces set).
MJS_EXPORT void mjs_contact_forces(const mjModel* m, const mjData* d, double* cfrc_ext) {
  memcpy(cfrc_ext, d->cfrc_ext, sizeof(double) * 6 * (size_t)m->nbody);
}

// Simulated time of the data.
MJS_EXPORT double mjs_time(const mjData* d) { return d->time; }

// ---- Novel conditions (docs/design.md, "Tasks"): model edits made once, before any data exists for the model.

// Multiplies the sliding friction of every geom by `factor`. MuJoCo takes the larger of two touching geoms' values,
// so scaling all of them scales every contact's friction by the same factor.
MJS_EXPORT void mjs_scale_friction(mjModel* m, double factor) {
  for (int i = 0; i < m->ngeom; i++) m->geom_friction[3 * i] *= factor;
}

// Multiplies one body's mass and rotational inertia by `factor` (a uniformly denser body, same shape), then
// recomputes the constants derived from masses (subtree masses, the constraint solver's inverse weights).
// Returns 0, or -1 on an engine error.
MJS_EXPORT int mjs_scale_body_mass(mjModel* m, int body, double factor) {
  if (body < 0 || body >= m->nbody) return -1;
  m->body_mass[body] *= factor;
  for (int k = 0; k < 3; k++) m->body_inertia[3 * body + k] *= factor;
  mjData* d = NULL;
  GUARDED(-1, {
    d = mj_makeData(m);
    mj_setConst(m, d);
    mj_deleteData(d);
  });
  return 0;
}

// Disables one actuator: its gear becomes zero, so its control produces no force (a broken motor; the policy's
// command still reaches the engine and still counts in control costs).
MJS_EXPORT int mjs_disable_actuator(mjModel* m, int actuator) {
  if (actuator < 0 || actuator >= m->nu) return -1;
  for (int k = 0; k < 6; k++) m->actuator_gear[6 * actuator + k] = 0;
  return 0;
}

// Reads a body's mass, an actuator's first gear entry and a geom's sliding friction (tests check the edits).
MJS_EXPORT double mjs_body_mass(const mjModel* m, int body) { return m->body_mass[body]; }
MJS_EXPORT double mjs_actuator_gear(const mjModel* m, int actuator) { return m->actuator_gear[6 * actuator]; }
MJS_EXPORT double mjs_geom_friction(const mjModel* m, int geom) { return m->geom_friction[3 * geom]; }
