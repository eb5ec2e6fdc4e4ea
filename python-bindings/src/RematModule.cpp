//===- RematModule.cpp - remat._remat, the C API for Python ---------------===//
//
// A thin layer: each method calls the C API with the GIL released and returns
// (status, outputs..., diagnostics); remat/_api.py turns a failed status into
// a RematError and the JSON into Python objects.
//
//===----------------------------------------------------------------------===//

#include "remat-c/Remat.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <optional>
#include <string>
#include <tuple>

namespace nb = nanobind;

namespace {

/// A string the C API returned, freed with it.
class CString {
public:
  CString() = default;
  CString(const CString &) = delete;
  CString &operator=(const CString &) = delete;
  ~CString() { rematStringFree(value); }

  char **out() { return &value; }
  std::string str() const { return value ? value : ""; }

private:
  char *value = nullptr;
};

const char *orNull(const std::optional<std::string> &text) {
  return text ? text->c_str() : nullptr;
}

using Result1 = std::tuple<int, std::string, std::string>;
using Result2 = std::tuple<int, std::string, std::string, std::string>;

/// A RematContext: an MLIR context with everything remat-opt registers.
class Context {
public:
  Context() : context(rematContextCreate()) {}
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;
  ~Context() { rematContextDestroy(context); }

  Result1 report(const std::string &ir, const std::string &sourceName,
                 const std::optional<std::string> &options) {
    CString json, diagnostics;
    RematStatus status;
    {
      nb::gil_scoped_release release;
      status = rematReport(context, ir.c_str(), sourceName.c_str(),
                           orNull(options), json.out(), diagnostics.out());
    }
    return {status, json.str(), diagnostics.str()};
  }

  Result2 plan(const std::string &ir, const std::string &sourceName,
               const std::string &budget, const std::string &solver,
               double timeLimit, const std::optional<std::string> &options) {
    CString json, rewritten, diagnostics;
    RematStatus status;
    {
      nb::gil_scoped_release release;
      status = rematPlan(context, ir.c_str(), sourceName.c_str(),
                         budget.c_str(), solver.c_str(), timeLimit,
                         orNull(options), json.out(), rewritten.out(),
                         diagnostics.out());
    }
    return {status, json.str(), rewritten.str(), diagnostics.str()};
  }

  Result1 frontier(const std::string &ir, const std::string &sourceName,
                   unsigned points, const std::string &solver,
                   double timeLimit, const std::optional<std::string> &options) {
    CString json, diagnostics;
    RematStatus status;
    {
      nb::gil_scoped_release release;
      status = rematFrontier(context, ir.c_str(), sourceName.c_str(), points,
                             solver.c_str(), timeLimit, orNull(options),
                             json.out(), diagnostics.out());
    }
    return {status, json.str(), diagnostics.str()};
  }

  Result1 lower(const std::string &ir, const std::string &sourceName,
                const std::string &target,
                const std::optional<std::string> &budget,
                const std::string &solver, double timeLimit,
                const std::optional<std::string> &options) {
    CString lowered, diagnostics;
    RematStatus status;
    {
      nb::gil_scoped_release release;
      status = rematLower(context, ir.c_str(), sourceName.c_str(),
                          target.c_str(), orNull(budget), solver.c_str(),
                          timeLimit, orNull(options), lowered.out(),
                          diagnostics.out());
    }
    return {status, lowered.str(), diagnostics.str()};
  }

  Result1 runPipeline(const std::string &ir, const std::string &sourceName,
                      const std::string &pipeline) {
    CString output, diagnostics;
    RematStatus status;
    {
      nb::gil_scoped_release release;
      status = rematRunPipeline(context, ir.c_str(), sourceName.c_str(),
                                pipeline.c_str(), output.out(),
                                diagnostics.out());
    }
    return {status, output.str(), diagnostics.str()};
  }

private:
  RematContext *context;
};

} // namespace

NB_MODULE(_remat, m) {
  m.doc() = "remat's C API (include/remat-c/Remat.h); use the remat package";

  m.def(
      "status_name",
      [](int status) { return rematStatusName(RematStatus(status)); },
      nb::arg("status"));
  m.def(
      "pipeline_registered",
      [](const std::string &name) {
        return rematPipelineRegistered(name.c_str()) != 0;
      },
      nb::arg("name"));

  nb::class_<Context>(m, "Context",
                      "An MLIR context with remat's dialects and passes")
      .def(nb::init<>())
      .def("report", &Context::report, nb::arg("ir"), nb::arg("source_name"),
           nb::arg("options").none() = nb::none())
      .def("plan", &Context::plan, nb::arg("ir"), nb::arg("source_name"),
           nb::arg("budget"), nb::arg("solver"), nb::arg("time_limit"),
           nb::arg("options").none() = nb::none())
      .def("frontier", &Context::frontier, nb::arg("ir"),
           nb::arg("source_name"), nb::arg("points"), nb::arg("solver"),
           nb::arg("time_limit"), nb::arg("options").none() = nb::none())
      .def("lower", &Context::lower, nb::arg("ir"), nb::arg("source_name"),
           nb::arg("target"), nb::arg("budget").none(), nb::arg("solver"),
           nb::arg("time_limit"), nb::arg("options").none())
      .def("run_pipeline", &Context::runPipeline, nb::arg("ir"),
           nb::arg("source_name"), nb::arg("pipeline"));
}
