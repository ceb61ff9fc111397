package interventions

import (
	"errors"
	"testing"

	"github.com/natmo/natmo/pipeline"
)

func TestCoTPressureApply(t *testing.T) {
	base := pipeline.Pipeline{
		{Kind: "sft", Examples: 10, Epochs: 1, LR: 0.1},
		{Kind: "rl", Steps: 10, LR: 0.5},
	}
	c := NewCoTPressure()
	c.Weight, c.From, c.Monitor = 0.8, 100, MonitorCoTAction
	p, err := c.Apply(base)
	if err != nil {
		t.Fatal(err)
	}
	if base[1].Data != nil {
		t.Error("Apply changed its input")
	}
	if p[0].Data != nil {
		t.Errorf("sft stage got data %v", p[0].Data)
	}
	want := CoTPressureData{Weight: 0.8, From: 100, Monitor: MonitorCoTAction}
	if p[1].Data != want {
		t.Errorf("rl stage data = %#v, want %#v", p[1].Data, want)
	}
	if _, err := c.Apply(base[:1]); err == nil {
		t.Error("no error without an rl stage")
	}
}

func TestCoTPressureValidate(t *testing.T) {
	for _, tc := range []struct {
		edit  func(*CoTPressure)
		field string
	}{
		{func(c *CoTPressure) { c.Weight = -1 }, "weight"},
		{func(c *CoTPressure) { c.From = -3 }, "from"},
		{func(c *CoTPressure) { c.Monitor = "retrained" }, "monitor"}, // a monitor that cannot be penalised
	} {
		c := NewCoTPressure()
		tc.edit(c)
		var fe *pipeline.FieldError
		if err := c.Validate(); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: error %v, want a field error on %s", c, err, tc.field)
		}
	}
	if _, ok := Default().Lookup("cot-pressure"); !ok {
		t.Error("cot-pressure is not registered")
	}
}
